import type { FactBatch } from '../contracts/facts';
import type { ActivityDeps } from './deps';

/**
 * Records a batch of journey facts, with the journey's snapshot and open tasks, in the engine database. The
 * journey runs it just before it waits: first thing in the touchpoint activity it schedules, or as a local
 * activity when it schedules none. Nothing is checked here beyond the types: the store keeps each fact once
 * and never lets an older batch overwrite a newer snapshot.
 */
export async function recordJourneyFacts(deps: ActivityDeps, batch: FactBatch): Promise<void> {
  const added = await deps.facts.record(batch);
  // Only what this batch added, once committed: a retried or replayed batch is counted once.
  deps.factsRecorded?.(added);
}
