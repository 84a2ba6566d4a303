/** The interpreter's search attributes by meaning, as Temporal's typed keys (in the order given: each upsert is a command). */
import type { SearchAttributeUpdatePair, TypedSearchAttributes } from '@temporalio/common';
import * as keys from '../contracts/search-attributes';
import type { JourneySearchAttributes } from './interpreter/journey-env';

export function searchAttributeUpdates(attributes: JourneySearchAttributes): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [];
  for (const [name, value] of Object.entries(attributes) as [keyof JourneySearchAttributes, unknown][]) {
    if (value === undefined) continue;
    if (name === 'stage') pairs.push({ key: keys.journeyStageKey, value: value as string });
    else if (name === 'atRisk') pairs.push({ key: keys.journeyAtRiskKey, value: value as boolean });
    else if (name === 'term') pairs.push({ key: keys.journeyTermKey, value: value as number });
    else if (name === 'map') pairs.push({ key: keys.journeyMapKey, value: value as string });
    else if (name === 'owners') pairs.push({ key: keys.journeyOwnersKey, value: value as string[] });
    else pairs.push({ key: keys.journeyTaskOwnersKey, value: value as string[] });
  }
  return pairs;
}

/**
 * The pairs that change what the journey's search attributes hold now: an upsert that repeats a value (the
 * stage the start already set) is a command and a history event for nothing. An unset list counts as empty.
 */
export function changedSearchAttributes(pairs: SearchAttributeUpdatePair[], current: TypedSearchAttributes): SearchAttributeUpdatePair[] {
  return pairs.filter(({ key, value }) => {
    const now: unknown = current.get(key);
    return Array.isArray(value) ? JSON.stringify(now ?? []) !== JSON.stringify(value) : now !== value;
  });
}
