/**
 * Recording journey facts from the workflow (workflow code: it runs a local activity). The rules of what a
 * fact is and which batch goes next are in ./interpreter/facts; here the run remembers what it recorded, and
 * hands each batch to the engine database with one local activity: a marker in history, no activity task.
 *
 * The journey calls `flush` only just before it waits (a timer, a touchpoint's activity), so each workflow
 * task that changed something records it once, before anyone can read the journey's next answer.
 */
import { ActivityFailure, allHandlersFinished, condition, log, patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
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

export type FlushResult = 'recorded' | 'failed';

export interface JourneyFactRecorder {
  /**
   * Records what is new (facts, snapshot, open tasks) with one local activity; undefined, at once, when
   * there is nothing to record. Callers await only a promise: an extra await would let another coroutine's
   * command (an update handler's activity) go first, and journeys recorded before facts would not replay.
   */
  flush(journeys?: readonly Journey[]): Promise<FlushResult> | undefined;
  /**
   * Before the run continues as new or ends: handlers in flight finish, then everything is recorded (again if
   * a handler began meanwhile), and the state the run goes on with says so. `journeys`: the one that goes on
   * last (a renewal hands over the next term's state, after the ending term's).
   */
  flushBeforeLeaving(journeys: readonly Journey[]): Promise<void>;
}

/** The recorder of one run. A run continued from one that recorded everything starts from there. */
export function journeyFactRecorder(j: Journey): JourneyFactRecorder {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const journeyId = `${workflowId}/${firstExecutionRunId}`;
  const recorded: RecordedFacts = j.s.factsRecorded ? recordedAlready(j, journeyId) : { keys: new Set() };
  delete j.s.factsRecorded;

  function flush(journeys: readonly Journey[] = [j]): Promise<FlushResult> | undefined {
    // Journeys from before facts keep their recorded commands; from their first new workflow task on they
    // record, their earlier facts with the first batch.
    if (!patched('journey-facts')) return undefined;
    const batch = nextFactBatch(journeys, journeyId, recorded);
    if (!batch) return undefined;
    // Counted before it goes: whatever became of this batch, the next one is newer.
    journeys.at(-1)!.s.factBatches = batch.sequence;
    return send(batch);
  }

  async function send(batch: FactBatch): Promise<FlushResult> {
    try {
      await recordJourneyFacts(batch);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Only a cancellation ends the retries; the facts go with the next batch.
      log.warn('Journey facts not recorded', { sequence: batch.sequence, reason: err.cause?.message ?? err.message });
      return 'failed';
    }
    markRecorded(recorded, batch);
    return 'recorded';
  }

  async function flushBeforeLeaving(journeys: readonly Journey[]): Promise<void> {
    for (;;) {
      await condition(allHandlersFinished);
      if (!patched('journey-facts')) return;
      const recording = flush(journeys);
      const result = recording ? await recording : 'recorded';
      if (!allHandlersFinished()) continue; // a handler began while the batch went: its changes go too
      if (result === 'recorded') journeys.at(-1)!.s.factsRecorded = true;
      return;
    }
  }

  return { flush, flushBeforeLeaving };
}
