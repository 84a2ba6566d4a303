import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { createBulkOperationActivities } from '../activities/bulk-operations';
import {
  BULK_CONCURRENCY,
  MAX_BULK_SELECTION,
  type BulkJourneyResult,
  type BulkOperationProgress,
  type BulkOrder,
} from '../contracts/bulk-operations';
import { bulkOperationProgressQuery } from '../contracts/messages';
import { bulkOrderProblem } from './bulk-order';

type BulkActivities = ReturnType<typeof createBulkOperationActivities>;

// Listing is a read: retried while Temporal's visibility is slow to answer. A bad query fails at once (non-retryable).
const { selectJourneys } = proxyActivities<BulkActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 10 } });
// One journey's update takes milliseconds; a worker that dies during one is noticed in 30 s and the step retried
// (idempotent: a journey paused by this operation already counts as done).
const { applyToJourney } = proxyActivities<BulkActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/** Journeys acted on per run: about 3 history events each, so a run stays far below Temporal's history limits. */
const JOURNEYS_PER_RUN = 300;
const REASON_MAX = 300;

/** What a run continues as new with: the selection still to act on and the results so far. */
export interface BulkOperationCarry {
  startedAt: string;
  total: number;
  pending: string[];
  results: BulkJourneyResult[];
}

export interface BulkOperationInput {
  order: BulkOrder;
  /** Absent on the first run, which takes the selection. */
  carried?: BulkOperationCarry;
}

/**
 * One action applied to every running journey a visibility query selects (the selection taken once, at the start),
 * at most BULK_CONCURRENCY at a time, one result per journey; progress by the bulkOperationProgress query, in the
 * workflow's memo and its current details. Continues as new every JOURNEYS_PER_RUN journeys. Answers its progress.
 */
export async function bulkOperationWorkflow(input: BulkOperationInput): Promise<BulkOperationProgress> {
  const order = input?.order;
  const carried = input?.carried;
  const state: BulkOperationCarry & { finishedAt?: string; refused?: string } = carried
    ? { ...carried, pending: [...carried.pending], results: [...carried.results] }
    : { startedAt: workflowInfo().runStartTime.toISOString(), total: 0, pending: [], results: [] };
  const progress = (): BulkOperationProgress => {
    const count = (outcome: string) => state.results.filter((r) => r.outcome === outcome).length;
    return {
      operationId: workflowInfo().workflowId,
      action: String(order?.action),
      query: String(order?.query),
      startedAt: state.startedAt,
      total: state.total,
      done: count('done'),
      skipped: count('skipped'),
      failed: count('failed'),
      finished: state.finishedAt !== undefined,
      ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
      ...(state.refused ? { refused: state.refused } : {}),
      results: state.results,
    };
  };
  const finish = (refused?: string): BulkOperationProgress => {
    state.finishedAt = new Date(Date.now()).toISOString();
    if (refused) state.refused = refused;
    publishProgress(progress());
    return progress();
  };
  setHandler(bulkOperationProgressQuery, progress);

  // The workflow guards its own input: an order may reach Temporal without the API's checks.
  const problem = bulkOrderProblem(order);
  if (problem) return finish(`${problem.field}: ${problem.message}`);

  if (!carried) {
    try {
      const { customerIds } = await selectJourneys({ query: order.query, startedBefore: state.startedAt, limit: MAX_BULK_SELECTION + 1 });
      if (customerIds.length > MAX_BULK_SELECTION) return finish(`query: selects more than ${MAX_BULK_SELECTION} journeys; narrow it`);
      state.pending = customerIds;
      state.total = customerIds.length;
    } catch (err) {
      if (err instanceof ActivityFailure) return finish(reasonOf(err));
      throw err;
    }
    publishProgress(progress());
  }

  let startedThisRun = 0;
  const lane = async () => {
    while (state.pending.length > 0 && startedThisRun < JOURNEYS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
      const customerId = state.pending.shift()!;
      startedThisRun += 1;
      state.results.push(await resultFor(order, customerId));
      setCurrentDetails(detailsOf(progress()));
    }
  };
  await Promise.all(Array.from({ length: BULK_CONCURRENCY }, lane));

  if (state.pending.length > 0) {
    publishProgress(progress());
    return continueAsNew<typeof bulkOperationWorkflow>({ order, carried: { startedAt: state.startedAt, total: state.total, pending: state.pending, results: state.results } });
  }
  return finish();
}

/** One journey's result: what its activity answered, or a failure once its retries are spent (the others go on). */
async function resultFor(order: BulkOrder, customerId: string): Promise<BulkJourneyResult> {
  const workflowId = `journey-${customerId}`;
  try {
    const { outcome, reason } = await applyToJourney({ order, operationId: workflowInfo().workflowId, customerId });
    return { customerId, workflowId, outcome, ...(reason ? { reason: reason.slice(0, REASON_MAX) } : {}) };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { customerId, workflowId, outcome: 'failed', reason: reasonOf(err) };
  }
}

function reasonOf(err: ActivityFailure): string {
  const cause = err.cause instanceof ApplicationFailure ? err.cause : err;
  return (cause.message || 'the activity failed').slice(0, REASON_MAX);
}

const detailsOf = (p: BulkOperationProgress) =>
  `${p.action} of ${p.total} journeys: ${p.done} done, ${p.skipped} skipped, ${p.failed} failed${p.finished ? ' (finished)' : ''}`;

/** The counts in the memo (what the listing of operations shows without asking each) and the current details (the Temporal UI's). */
function publishProgress(p: BulkOperationProgress): void {
  const { results: _results, ...counts } = p;
  upsertMemo({ progress: counts });
  setCurrentDetails(detailsOf(p));
}
