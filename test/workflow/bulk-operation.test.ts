import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createBulkOperationActivities } from '../../activities';
import { BULK_CONCURRENCY, MAX_BULK_SELECTION, type BulkOperationSteps, type BulkOrder, type BulkStepInput } from '../../contracts/bulk-operations';
import { bulkOperationProgressQuery } from '../../contracts/messages';
import { journeyWorkflowBundle } from '../helpers/workflow-bundle';
import { bulkOperationWorkflow } from '../../workflows/bulk-operation';
import { eventually } from '../helpers/eventually';
import { testDataConverter } from '../helpers/payloads';
import { createTimeSkippingEnv } from '../helpers/time-skipping';

/**
 * The bulk operation workflow under the time-skipping server, its activities' steps stood in for (the real steps
 * run against the real stack in test/integration/bulk-operations.test.ts): one result per journey across runs that
 * continue as new, at most BULK_CONCURRENCY journeys at a time, progress while it runs, refused orders.
 */
let env: TestWorkflowEnvironment;
let workflowCode: string;

beforeAll(async () => {
  [env, { code: workflowCode }] = await Promise.all([createTimeSkippingEnv(), journeyWorkflowBundle()]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Steps over `count` made-up journeys: every 7th already paused (skipped), every 50th refusing (failed), the rest done. */
function fakeSteps(count: number, options: { holdAfter?: number } = {}) {
  const customers = Array.from({ length: count }, (_, i) => `c-${String(i).padStart(4, '0')}`);
  let inFlight = 0;
  let released!: () => void;
  const gate = new Promise<void>((resolve) => (released = resolve));
  const seen = { maxInFlight: 0, calls: 0, selections: 0 };
  const steps: BulkOperationSteps = {
    selectJourneys: jest.fn(() => {
      seen.selections += 1;
      return Promise.resolve({ customerIds: customers });
    }),
    applyToJourney: jest.fn(async ({ customerId }: BulkStepInput) => {
      seen.calls += 1;
      inFlight += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
      try {
        if (options.holdAfter !== undefined && seen.calls > options.holdAfter) await gate;
        await new Promise((resolve) => setTimeout(resolve, 2));
        const i = Number(customerId.slice(2));
        if (i % 50 === 1) throw ApplicationFailure.create({ message: `journey ${customerId} refused`, nonRetryable: true });
        return i % 7 === 0 ? { outcome: 'skipped' as const, reason: 'the journey is already paused' } : { outcome: 'done' as const };
      } finally {
        inFlight -= 1;
      }
    }),
  };
  return { customers, steps, seen, release: () => released() };
}

async function withWorker<T>(steps: BulkOperationSteps, taskQueue: string, body: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: workflowCode },
    dataConverter: testDataConverter,
    activities: createBulkOperationActivities(steps),
  });
  return worker.runUntil(body());
}

const pause: BulkOrder = { action: 'pause', query: 'CustomerSegment = "startup"', reason: 'a product incident' };

test('620 journeys: one result each, at most 10 at a time, progress while it runs, across runs that continue as new', async () => {
  const { customers, steps, seen, release } = fakeSteps(620, { holdAfter: 40 });
  const taskQueue = 'bulk-many';
  await withWorker(steps, taskQueue, async () => {
    const handle = await env.client.workflow.start(bulkOperationWorkflow, { workflowId: 'bulk-many', taskQueue, args: [{ order: pause }] });
    // Held after 40 journeys: the progress query shows an operation under way.
    const midway = await eventually(async () => {
      const progress = await handle.query(bulkOperationProgressQuery);
      if (progress.results.length < 30) throw new Error(`only ${progress.results.length} results so far`);
      return progress;
    });
    expect(midway).toMatchObject({ operationId: 'bulk-many', action: 'pause', total: 620, finished: false });
    release();

    const result = await handle.result();
    // 13 refuse (1, 51, ... 601), 88 are already paused (0, 7, ... 616, but 301, which refuses first), 519 are done.
    expect(result).toMatchObject({ total: 620, finished: true, failed: 13, skipped: 88, done: 519 });
    expect(result.results.map((r) => r.customerId).sort()).toEqual(customers);
    expect(result.results.find((r) => r.customerId === 'c-0001')).toEqual({ customerId: 'c-0001', workflowId: 'journey-c-0001', outcome: 'failed', reason: 'journey c-0001 refused' });
    expect(result.results.find((r) => r.customerId === 'c-0007')).toEqual({ customerId: 'c-0007', workflowId: 'journey-c-0007', outcome: 'skipped', reason: 'the journey is already paused' });
    // Selected once, each journey acted on once (a refusal is not retried), never more than 10 at a time.
    expect(seen.selections).toBe(1);
    expect(seen.calls).toBe(620);
    expect(seen.maxInFlight).toBe(BULK_CONCURRENCY);
    // Its history stays bounded: the first run continued as new, and the last run answered.
    const first = await env.client.workflow.getHandle('bulk-many', handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect((await handle.describe()).memo?.progress).toMatchObject({ total: 620, finished: true, done: 519 });
  });
}, 120_000);

test('an order the workflow refuses acts on nothing, and says which field is wrong', async () => {
  const { steps, seen } = fakeSteps(3);
  const taskQueue = 'bulk-refused';
  await withWorker(steps, taskQueue, async () => {
    const run = (order: unknown, id: string) => env.client.workflow.execute(bulkOperationWorkflow, { workflowId: id, taskQueue, args: [{ order: order as BulkOrder }] });
    expect(await run({ ...pause, query: 'CustomerId = "x") OR (WorkflowType = "mapRegistryWorkflow"' }, 'bulk-breakout')).toMatchObject({
      finished: true,
      total: 0,
      refused: expect.stringMatching(/^query: closes a parenthesis/),
      results: [],
    });
    expect(await run({ action: 'pause', query: 'CustomerSegment = "x"' }, 'bulk-no-reason')).toMatchObject({ refused: expect.stringMatching(/^reason: is required/) });
    expect(await run({ action: 'reassign', query: 'CustomerSegment = "x"', reassign: { role: 'successManager' } }, 'bulk-no-owner')).toMatchObject({ refused: expect.stringMatching(/^reassign.ownerId/) });
    expect(await run({ action: 'explode', query: 'CustomerSegment = "x"' }, 'bulk-unknown')).toMatchObject({ refused: expect.stringMatching(/^action: must be one of/) });
    expect(seen.selections + seen.calls).toBe(0);
  });
}, 60_000);

test('a selection larger than one operation takes is refused before any journey is touched', async () => {
  const { steps, seen } = fakeSteps(MAX_BULK_SELECTION + 1);
  const taskQueue = 'bulk-too-many';
  await withWorker(steps, taskQueue, async () => {
    const result = await env.client.workflow.execute(bulkOperationWorkflow, { workflowId: 'bulk-too-many', taskQueue, args: [{ order: pause }] });
    expect(result).toMatchObject({ finished: true, refused: `query: selects more than ${MAX_BULK_SELECTION} journeys; narrow it`, results: [] });
    expect(seen.calls).toBe(0);
  });
}, 60_000);
