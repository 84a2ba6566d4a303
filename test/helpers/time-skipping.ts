import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Customer } from '../../src/journeys/customer';
import type { JourneyMap } from '../../src/maps/schema';
import { journeyWorkflow, type JourneyState } from '../../workflows/journey';
import { JOURNEY_REVISION } from '../../contracts/journey';
import { journeyStateQuery } from '../../contracts/messages';
import { testDatabase } from './database';
import { customerFixture, DAY_MS, defaultMap, testActivityDeps } from './fixtures';

import { SIGNAL_OFFSET_MS } from '../../src/rehearsal/rehearse';
import { createTimeSkippingEnv as createRehearsalEnv } from '../../src/rehearsal/environment';
import { testDataConverter } from './payloads';
import { journeyWorkflowBundle } from './workflow-bundle';

/** The time-skipping test server, its client encrypting with the tests' keys: workers on it take `dataConverter: testDataConverter`. */
export const createTimeSkippingEnv = () => createRehearsalEnv({ dataConverter: testDataConverter });

export type Activities = ReturnType<typeof createActivities>;

export interface JourneyStory<A extends Activities> {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof journeyWorkflow>;
  purchasedAt: number;
  activities: A;
  state: () => Promise<JourneyState>;
  /** Moves the test server's clock to `days` after the purchase, then lets the journey catch up. */
  untilDay: (days: number) => Promise<void>;
}

/** The real activities, each wrapped in jest.fn so a test can check its calls. */
export const recordedActivities = (real: Activities) => ({
  sendTouchpointEmail: jest.fn(real.sendTouchpointEmail),
  bookMeeting: jest.fn(real.bookMeeting),
  createOwnerTask: jest.fn(real.createOwnerTask),
  callWebhook: jest.fn(real.callWebhook),
  changeMeeting: jest.fn(real.changeMeeting),
  openMapReviewTask: jest.fn(real.openMapReviewTask),
  recordJourneyFacts: real.recordJourneyFacts,
});

let sequence = 0;

/**
 * Runs one customer's journey under time skipping with the real activity code (nodemailer building
 * real messages, a real ledger), each activity passed through `wrap` so a test can record its calls.
 */
export async function runJourney<A extends Activities>(
  env: TestWorkflowEnvironment,
  wrap: (activities: Activities) => A,
  story: (ctx: JourneyStory<A>) => Promise<void>,
  options: { map?: JourneyMap; clock?: { dayMs: number }; customer?: Partial<Customer> } = {},
): Promise<void> {
  const taskQueue = `journeys-${++sequence}`;
  const activities = wrap(createActivities(testActivityDeps(await testDatabase())));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await journeyWorkflowBundle(),
    dataConverter: testDataConverter,
    activities,
  });
  const purchasedAt = await env.currentTimeMs();
  const customer = customerFixture(purchasedAt, { customerId: `customer-${sequence}`, ...options.customer });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      taskQueue,
      workflowId: `journey-${customer.customerId}-${Date.now()}`,
      args: [{ customer, map: options.map ?? defaultMap, clock: options.clock, revision: JOURNEY_REVISION }],
    });
    const state = () => handle.query(journeyStateQuery);
    // A moment past the day, so a signal or update the test sends next never meets a timer firing at that
    // very instant (see SIGNAL_OFFSET_MS).
    const untilDay = async (days: number) => {
      const now = await env.currentTimeMs();
      const target = purchasedAt + days * DAY_MS;
      if (target > now) await env.sleep(target - now + SIGNAL_OFFSET_MS);
      await state();
    };
    try {
      await story({ handle, purchasedAt, activities, state, untilDay });
    } finally {
      // A journey still waiting on timers would keep the worker from shutting down.
      await env.client.workflow.getHandle(handle.workflowId).terminate('story over').catch(() => undefined);
    }
  });
}
