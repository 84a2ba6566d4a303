/**
 * The checks a bulk operation's order must pass, as plain functions: the workflow runs them on its own input (an
 * order can reach Temporal without the API), and the API runs the query check before it starts one.
 */
import { BULK_ACTIONS, type BulkOrder } from '../contracts/bulk-operations';

const QUERY_MAX = 2_000;
const TEXT_MAX = 500;

/**
 * Why a selection query cannot be ANDed safely with "running journeys", if it cannot: its parentheses must balance
 * outside quoted text (so it cannot close the clause it is put in and OR past it), and it carries no backslash (whose
 * meaning inside quotes Temporal's parser and this check could read differently) nor control characters.
 */
export function selectionQueryProblem(query: unknown): string | undefined {
  if (typeof query !== 'string' || query.trim() === '') return 'is required: a visibility query such as CustomerSegment = "startup"';
  if (query.length > QUERY_MAX) return `is longer than ${QUERY_MAX} characters`;
  if (/[\p{Cc}\p{Cs}\\]/u.test(query)) return 'must not contain control characters, unpaired surrogates or backslashes';
  let depth = 0;
  let quote: string | undefined;
  for (const c of query) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
      if (depth < 0) return 'closes a parenthesis it did not open';
    }
  }
  if (quote) return `leaves a quote (${quote}) open`;
  if (depth > 0) return 'leaves a parenthesis open';
  if (/\border\s+by\b|\bgroup\s+by\b/i.test(query.replace(/(["'`]).*?\1/g, ''))) return 'must select journeys only (no ORDER BY or GROUP BY)';
  return undefined;
}

/** The visibility query of the journeys an order selects: running journeys only, started before the operation. */
export function journeySelectionQuery(query: string, startedBefore: string): string {
  return `WorkflowType = "journeyWorkflow" AND ExecutionStatus = "Running" AND StartTime < "${startedBefore}" AND (${query})`;
}

const isText = (value: unknown, max = TEXT_MAX): value is string => typeof value === 'string' && value.trim() !== '' && value.length <= max;
const isIdMapping = (value: unknown) =>
  value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => isText(v, 200)));

/** The first thing wrong with an order, as the field and why; undefined when it can run. */
export function bulkOrderProblem(order: BulkOrder | undefined): { field: string; message: string } | undefined {
  if (typeof order !== 'object' || order === null) return { field: '(order)', message: 'must be an object' };
  if (!(BULK_ACTIONS as readonly unknown[]).includes(order.action)) return { field: 'action', message: `must be one of ${BULK_ACTIONS.join(', ')}` };
  const queryProblem = selectionQueryProblem(order.query);
  if (queryProblem) return { field: 'query', message: queryProblem };
  if (order.by !== undefined && !isText(order.by, 200)) return { field: 'by', message: 'must be a name or address of at most 200 characters' };
  if ((order.action === 'pause' || order.action === 'cancel') && !isText(order.reason)) return { field: 'reason', message: `is required to ${order.action} (at most ${TEXT_MAX} characters)` };
  if (order.action === 'reassign') {
    const reassign = order.reassign;
    if (!reassign || !isText(reassign.role, 100)) return { field: 'reassign.role', message: 'is required to reassign' };
    if (!isText(reassign.ownerId, 320)) return { field: 'reassign.ownerId', message: 'is required to reassign: the email of a team member' };
  }
  if (order.action === 'migrate') {
    const migrate = order.migrate;
    if (!migrate || !isText(migrate.mapId, 100)) return { field: 'migrate.mapId', message: 'is required to migrate' };
    if (!Number.isInteger(migrate.toVersion) || migrate.toVersion < 1) return { field: 'migrate.toVersion', message: 'must be a map version (a whole number from 1)' };
    if (!isIdMapping(migrate.stageMapping) || !isIdMapping(migrate.milestoneMapping)) return { field: 'migrate', message: 'stage and milestone mappings map ids to ids' };
  }
  return undefined;
}
