import type { OperatorService } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import { journeySearchAttributeKeys } from '../../contracts/search-attributes';
import { CLI_TYPE_NAMES } from './dev-server';

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the journey search attributes that the namespace lacks. The dev server gets them from
 * its start flags; this serves other servers (the time-skipping test server, a self-hosted cluster).
 */
export async function registerJourneySearchAttributes(
  connection: { operatorService: OperatorService },
  namespace: string,
): Promise<string[]> {
  const known = await registeredNames(connection, namespace);
  const missing = journeySearchAttributeKeys.filter((key) => !known.has(key.name));
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
      });
    } catch (err) {
      // Known to be missing, and not ours to add: journeys would fail on the first one they set.
      if (known.size > 0) throw new MissingSearchAttributes(namespace, missing, err as Error);
      throw err;
    }
  }
  return missing.map((key) => key.name);
}

/** The namespace lacks journey search attributes and this process may not add them: an admin must, once. */
export class MissingSearchAttributes extends Error {
  constructor(namespace: string, missing: typeof journeySearchAttributeKeys, cause: Error) {
    const flags = missing.map((key) => `--name ${key.name} --type ${CLI_TYPE_NAMES[key.type]}`).join(' ');
    super(
      `namespace "${namespace}" lacks the search attributes ${missing.map((key) => key.name).join(', ')} and this worker may not add them ` +
        `(${cause.message}): register them once with \`temporal operator search-attribute create --namespace ${namespace} ${flags}\``,
    );
  }
}

/** The names the namespace knows; the time-skipping server cannot list them (it accepts adding them). */
async function registeredNames(connection: { operatorService: OperatorService }, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  } catch (err) {
    if ((err as { code?: number }).code === status.UNIMPLEMENTED) return new Set();
    throw err;
  }
}
