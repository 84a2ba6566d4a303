import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { completeTaskUpdate, journeyStateQuery, productEventSignal } from '../../contracts/messages';
import type { Database } from '../../src/db/database';
import { PgJourneyFacts } from '../../src/facts/journey-facts';
import { SIGNAL_OFFSET_MS } from '../../src/rehearsal/rehearse';
import { journeyWorkflowBundle } from '../helpers/workflow-bundle';
import { factsOf } from '../../workflows/interpreter/facts';
import { journeyWorkflow } from '../../workflows/journey';
import { JOURNEY_REVISION } from '../../contracts/journey';
import { testDatabase } from '../helpers/database';
import { customerFixture, DAY_MS, defaultMap, productEvent, testActivityDeps } from '../helpers/fixtures';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { testDataConverter } from '../helpers/payloads';

/**
 * Journey facts end to end: a year and a renewal under time skipping, real activities over a real engine
 * database, the journey replayed at every workflow task for four months, then by another worker.
 */
let env: TestWorkflowEnvironment;
let db: Database;
let workflowCode: string;

beforeAll(async () => {
  [env, db, { code: workflowCode }] = await Promise.all([createTimeSkippingEnv(), testDatabase(), journeyWorkflowBundle()]);
});

afterAll(async () => {
  await env?.teardown();
});

const SAM = 'sam.rivera@success.example';

async function worker(taskQueue: string, options: { cache: boolean; deps?: ReturnType<typeof testActivityDeps> }) {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: workflowCode },
    dataConverter: testDataConverter,
    activities: createActivities(options.deps ?? testActivityDeps(db)),
    ...(options.cache ? {} : { maxCachedWorkflows: 0 }),
  });
}

test('a year with a renewal records every fact once, the journey row and the open tasks, across a worker that replays', async () => {
  const taskQueue = 'journey-facts';
  const store = new PgJourneyFacts(db);
  const purchasedAt = await env.currentTimeMs();
  const customer = customerFixture(purchasedAt, { customerId: 'facts-acme' });
  const untilDay = async (days: number) => {
    const target = purchasedAt + days * DAY_MS;
    const now = await env.currentTimeMs();
    if (target > now) await env.sleep(target - now + SIGNAL_OFFSET_MS);
  };
  const handle = await env.client.workflow.start(journeyWorkflow, {
    taskQueue,
    workflowId: `journey-${customer.customerId}`,
    args: [{ customer, map: defaultMap, revision: JOURNEY_REVISION }],
  });
  const journeyId = `${handle.workflowId}/${handle.firstExecutionRunId}`;
  const state = () => handle.query(journeyStateQuery);

  // The first worker keeps nothing cached: each workflow task replays the journey from its first event, local
  // activity results from their markers. (It also has no sticky queue, which the test server would not give
  // up on once the worker is gone.) Nobody logs in for a week, so the owner gets a task; they complete it on day 8.
  await (await worker(taskQueue, { cache: false })).runUntil(async () => {
    await untilDay(8);
    const [task] = (await state()).tasks;
    expect(await store.openTasks(SAM)).toEqual([{ ...task, customerId: customer.customerId }]);
    await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: task!.taskId, outcome: 'called the contact' }] });
    // The update answers once its workflow task is complete, and the facts were recorded in that task.
    expect(await store.openTasks(SAM)).toEqual([]);
    expect(await store.doneTasks(SAM)).toEqual([expect.objectContaining({ taskId: task!.taskId, status: 'done', outcome: 'called the contact' })]);
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + 8 * DAY_MS));
    await handle.signal(productEventSignal, productEvent('feature.used', { feature: 'reports' }, purchasedAt + 9 * DAY_MS));
    await untilDay(120);
  });

  // A new worker takes over: its first workflow task replays the four months before.
  const s = await (await worker(taskQueue, { cache: true })).runUntil(async () => {
    await untilDay(340);
    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, purchasedAt + 340 * DAY_MS));
    await untilDay(400);
    const last = await state();
    // Ended while this worker runs: a journey left waiting on its sticky queue would hold the test server's clock.
    await handle.terminate('story over');
    return last;
  });
  expect(s).toMatchObject({ term: 2, stage: 'adoption' });
  const facts = await store.factsOfJourney(journeyId);
  const of = (kind: string, term?: number) => facts.filter((f) => f.kind === kind && (term === undefined || f.term === term)).map((f) => f.subject);

  expect(of('stage.entered', 1)).toEqual(['onboarding', 'adoption', 'renewal']);
  expect(of('stage.left', 1)).toEqual(['onboarding', 'adoption', 'renewal']);
  expect(facts.filter((f) => f.kind === 'stage.left').map((f) => f.detail.reason)).toEqual(['milestones met', 'renewal window opened', 'renewed']);
  expect(of('stage.entered', 2)).toEqual(['adoption']);
  // Every touchpoint once: eight check-ins in term 1 (adoption began on day 9: days 39..249; the ninth fell after
  // the renewal window opened on day 275, and was skipped), one in term 2.
  const checkIns = Array.from({ length: 8 }, (_, i) => `check-in-call#${i + 1}`);
  expect(of('touchpoint.done', 1).sort()).toEqual(
    ['welcome-email#1', 'kickoff-call#1', 'login-help-email#1', 'login-help-task#1', ...checkIns, 'value-review#1', 'renewal-reminder-60#1', 'renewal-call#1', 'renewal-reminder-30#1'].sort(),
  );
  expect(of('touchpoint.done', 2)).toEqual(['check-in-call#1']);
  expect(of('milestone.missed')).toEqual(['first-login']);
  expect(of('milestone.reached')).toEqual(['first-login', 'key-feature-used', 'renewal-decided']);
  expect(facts.find((f) => f.kind === 'milestone.reached' && f.subject === 'first-login')!.detail).toMatchObject({ onTime: false });
  expect(of('goal.met')).toEqual(['activated']);
  expect(of('outcome.renewed')).toHaveLength(1);
  const [task] = of('task.opened');
  expect(of('task.completed')).toEqual([task]);
  expect(facts.find((f) => f.kind === 'task.completed')!.detail).toMatchObject({ owner: { email: SAM }, ownerRole: 'successManager', outcome: 'called the contact' });

  // Nothing twice, nothing missing: counts by kind, and every fact the journey's state implies now is there.
  const { rows } = await db.query<{ kind: string; n: string }>('SELECT kind, count(*) AS n FROM journey_facts WHERE journey_id = $1 GROUP BY kind ORDER BY kind', [journeyId]);
  expect(Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]))).toEqual({
    'goal.met': 1,
    'milestone.missed': 1,
    'milestone.reached': 3,
    'outcome.renewed': 1,
    'stage.entered': 4,
    'stage.left': 3,
    'task.completed': 1,
    'task.opened': 1,
    'touchpoint.done': 16 + 1, // term 1's sixteen, term 2's first check-in
    'touchpoint.skipped': 1, // the ninth check-in
  });
  const implied = factsOf({ s, customer, map: defaultMap, env: undefined as never }, journeyId).map((f) => f.key);
  expect(facts.map((f) => f.key)).toEqual(expect.arrayContaining(implied));

  const journeys = await db.query('SELECT customer_id, stage, term, status, at_risk, sequence FROM journeys');
  expect(journeys.rows).toEqual([{ customer_id: customer.customerId, stage: 'adoption', term: 2, status: 'running', at_risk: false, sequence: expect.any(Number) }]);
  // The sequence of the last batch with a snapshot: later batches of facts alone leave the row as it is.
  expect(journeys.rows[0].sequence).toBeGreaterThan(10);
  expect(journeys.rows[0].sequence).toBeLessThanOrEqual(s.factBatches!);
  expect((await db.query('SELECT * FROM open_tasks WHERE journey_id = $1', [journeyId])).rows).toEqual([]);
  // Both runs replay as recorded (the local activities' markers included).
  for (const runId of [handle.firstExecutionRunId, undefined]) {
    const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { code: workflowCode }, dataConverter: testDataConverter }, history);
  }
});

test('a churn is recorded before the journey ends: the outcome, the last stage left, no open tasks left', async () => {
  const taskQueue = 'journey-facts-churn';
  const store = new PgJourneyFacts(db);
  const purchasedAt = await env.currentTimeMs();
  const customer = customerFixture(purchasedAt, { customerId: 'facts-globex' });
  const handle = await env.client.workflow.start(journeyWorkflow, { taskQueue, workflowId: `journey-${customer.customerId}`, args: [{ customer, map: defaultMap, revision: JOURNEY_REVISION }] });
  const journeyId = `${handle.workflowId}/${handle.firstExecutionRunId}`;
  await (await worker(taskQueue, { cache: true })).runUntil(async () => {
    await env.sleep(10 * DAY_MS + SIGNAL_OFFSET_MS); // nobody logged in: the owner has an open task
    expect(await store.openTasks(SAM)).toEqual([expect.objectContaining({ customerId: customer.customerId })]);
    await handle.signal(productEventSignal, productEvent('renewal.churned', {}, purchasedAt + 10 * DAY_MS));
    await handle.result();
  });

  const facts = await store.factsOfJourney(journeyId);
  expect(facts.filter((f) => f.kind === 'outcome.churned')).toHaveLength(1);
  expect(facts.filter((f) => f.kind === 'stage.left').map((f) => [f.subject, f.detail.reason])).toEqual([['onboarding', 'churned']]);
  const journeys = await db.query('SELECT stage, status FROM journeys WHERE journey_id = $1', [journeyId]);
  expect(journeys.rows).toEqual([{ stage: 'onboarding', status: 'churned' }]);
  expect((await db.query('SELECT * FROM open_tasks WHERE journey_id = $1', [journeyId])).rows).toEqual([]);
});

test('a workflow task that schedules a touchpoint hands its facts to that activity: no marker of its own, written before the email goes', async () => {
  const taskQueue = 'journey-facts-carried';
  const store = new PgJourneyFacts(db);
  const purchasedAt = await env.currentTimeMs();
  const customer = customerFixture(purchasedAt, { customerId: 'facts-initech' });
  const handle = await env.client.workflow.start(journeyWorkflow, { taskQueue, workflowId: `journey-${customer.customerId}`, args: [{ customer, map: defaultMap, revision: JOURNEY_REVISION }] });
  const journeyId = `${handle.workflowId}/${handle.firstExecutionRunId}`;
  const deps = testActivityDeps(db);
  const factsWhenSent: string[][] = [];
  const sendMail = deps.mailer.sendMail.bind(deps.mailer);
  deps.mailer = {
    sendMail: async (mail: Parameters<typeof sendMail>[0]) => {
      factsWhenSent.push((await store.factsOfJourney(journeyId)).map((f) => `${f.kind} ${f.subject}`));
      return sendMail(mail);
    },
  };
  await (await worker(taskQueue, { cache: true, deps })).runUntil(async () => {
    await env.sleep(DAY_MS); // the welcome email goes at the purchase; then the journey sleeps
    await handle.terminate('story over');
  });

  // The welcome email's activity recorded the purchase's facts before it sent anything.
  expect(factsWhenSent[0]).toEqual(expect.arrayContaining(['stage.entered onboarding']));
  const events = (await handle.fetchHistory()).events ?? [];
  const firstActivity = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
  expect(firstActivity).toBeGreaterThan(0);
  expect(events.slice(0, firstActivity).filter((e) => e.markerRecordedEventAttributes)).toEqual([]);
  // The task after it only starts a timer: a local activity records the email done, before the journey sleeps.
  expect((await store.factsOfJourney(journeyId)).map((f) => `${f.kind} ${f.subject}`)).toEqual(
    expect.arrayContaining(['stage.entered onboarding', 'touchpoint.done welcome-email#1']),
  );
  expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(1);
});
