/**
 * Recording journey facts from the workflow (workflow code: it runs a local activity). The rules of what a
 * fact is and which batch goes next are in ./interpreter/facts; here the run remembers what it recorded, and
 * hands each batch to the engine database.
 *
 * The journey records only just before it waits (a timer, a touchpoint's activity), so each workflow task
 * that changed something records it once. A task that schedules a touchpoint's activity hands the batch to
 * that activity, which records it before it does anything else: no marker and no local activity of its own
 * (in an active customer's first week, 21 history events became 19). A task that only waits sends it with a local activity, and the
 * journey's next answer comes once it is written.
 */
import { ActivityFailure, allHandlersFinished, condition, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { FactBatch } from '../contracts/facts';
import { markRecorded, nextFactBatch, recordedAlready, type RecordedFacts } from './interpreter/facts';
import type { Journey } from './interpreter/journey';

/**
 * The database may be down for a while: retried without end, so no fact is lost. Retries past ten seconds
 * wait on a timer instead of holding the workflow task open (which would heartbeat it into history).
 */
const { recordJourneyFacts } = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  localRetryThreshold: '10 seconds',
});

/**
 * Journeys started before it recorded every batch with a local activity, including those of tasks that
 * schedule a touchpoint: they keep doing so, to replay as they ran (revision 3 includes it).
 */
export const FACTS_WITH_TOUCHPOINTS = 'facts-with-touchpoints';

export interface JourneyFactRecorder {
  /**
   * Sends what is new (facts, snapshot, open tasks) with one local activity, and does not wait for it: the
   * journey's next command (its timer, its touchpoint's activity) goes in the same activation. Waiting would
   * let a signal that arrives while the facts are written take effect before the next decision when the
   * journey is replayed, and after it when it ran: another decision, a nondeterministic history. What a batch
   * holds counts as recorded once it is sent (the store ignores a fact sent twice).
   */
  flush(journeys?: readonly Journey[]): void;
  /**
   * What is new, for the touchpoint activity this task schedules to record before its touchpoint. Only an
   * activity that retries until it succeeds can carry it (a batch that nobody writes would be lost): for one
   * that gives up (`canCarry` false), and for journeys from before this, it is sent as `flush` sends it, and
   * nothing comes back.
   */
  batchForTouchpoint(canCarry: boolean): FactBatch | undefined;
  /**
   * Before the run continues as new or ends: handlers in flight finish, what is new is sent, and every batch
   * of this run is awaited (again if a handler began meanwhile); the state the run goes on with says so.
   * `journeys`: the one that goes on last (a renewal hands over the next term's state, after the ending term's).
   */
  flushBeforeLeaving(journeys: readonly Journey[]): Promise<void>;
}

/** The recorder of one run. A run continued from one that recorded everything starts from there. */
export function journeyFactRecorder(j: Journey): JourneyFactRecorder {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const journeyId = `${workflowId}/${firstExecutionRunId}`;
  const recorded: RecordedFacts = j.s.factsRecorded ? recordedAlready(j, journeyId) : { keys: new Set() };
  delete j.s.factsRecorded;
  /** Batches sent and not yet written; whether any of this run's could not be. */
  const inFlight = new Set<Promise<void>>();
  let unwritten = false;

  /** The next batch, counted as recorded: whoever takes it writes it. */
  function takeBatch(journeys: readonly Journey[]): FactBatch | undefined {
    // Journeys from before facts keep their recorded commands; from their first new workflow task on they
    // record, their earlier facts with the first batch.
    if (!j.env.patched('journey-facts')) return undefined;
    const batch = nextFactBatch(journeys, journeyId, recorded);
    if (!batch) return undefined;
    // Counted before it goes: whatever became of this batch, the next one is newer.
    journeys.at(-1)!.s.factBatches = batch.sequence;
    markRecorded(recorded, batch);
    return batch;
  }

  function flush(journeys: readonly Journey[] = [j]): void {
    const batch = takeBatch(journeys);
    if (!batch) return;
    const sent = send(batch);
    inFlight.add(sent);
    void sent.then(() => inFlight.delete(sent));
  }

  function batchForTouchpoint(canCarry: boolean): FactBatch | undefined {
    if (!j.env.patched('journey-facts')) return undefined;
    if (!canCarry || !j.env.patched(FACTS_WITH_TOUCHPOINTS)) {
      flush();
      return undefined;
    }
    return takeBatch([j]);
  }

  async function send(batch: FactBatch): Promise<void> {
    try {
      await recordJourneyFacts(batch);
    } catch (err) {
      // Only a cancellation ends the retries (or a worker without the activity: a replayer). Nobody awaits
      // this batch, so its failure is logged here, and the next run sends the term's facts again.
      unwritten = true;
      const reason = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
      log.warn('Journey facts not recorded', { sequence: batch.sequence, reason });
    }
  }

  async function flushBeforeLeaving(journeys: readonly Journey[]): Promise<void> {
    for (;;) {
      await condition(allHandlersFinished);
      if (!j.env.patched('journey-facts')) return;
      flush(journeys);
      await Promise.all([...inFlight]);
      if (!allHandlersFinished()) continue; // a handler began while the batches went: its changes go too
      if (!unwritten) journeys.at(-1)!.s.factsRecorded = true;
      return;
    }
  }

  return { flush, batchForTouchpoint, flushBeforeLeaving };
}
