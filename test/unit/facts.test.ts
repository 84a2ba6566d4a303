import type { Customer } from '../../contracts/customer';
import type { JourneyFact } from '../../contracts/facts';
import type { JourneyState, OwnerTask, TouchpointRecord } from '../../contracts/journey';
import type { JourneyMap } from '../../contracts/map';
import { escalateMissedMilestone } from '../../workflows/interpreter/escalations';
import { recordEvent } from '../../workflows/interpreter/events';
import { factsOf, markRecorded, nextFactBatch, openTasksOf, recordedAlready, snapshotOf, type RecordedFacts } from '../../workflows/interpreter/facts';
import { markAtRisk, type Journey, type JourneyEnv } from '../../workflows/interpreter/journey';
import { stageById } from '../../workflows/interpreter/map-lookups';
import { migrate, planMigration } from '../../workflows/interpreter/migration';
import { completeTask } from '../../workflows/interpreter/owners';
import { dueWork, scheduleNextOccurrence } from '../../workflows/interpreter/schedule';
import { advanceStage, enterFirstStage, firstTermState, nextTermState } from '../../workflows/interpreter/stages';
import { cancel, pause, resume } from '../../workflows/interpreter/steering';
import { customerFixture, DAY_MS, defaultMap } from '../helpers/fixtures';

/** Journey facts as plain functions over hand-made states: no server, no database. */
const PURCHASE = Date.parse('2026-12-07T09:00:00Z');
const JOURNEY = 'journey-acme/run-1';

function journeyOn(map: JourneyMap = defaultMap, customer: Customer = customerFixture(PURCHASE)) {
  let now = PURCHASE;
  const env: JourneyEnv = {
    now: () => now,
    patched: () => true,
    upsertSearchAttributes: () => undefined,
    log: { info: () => undefined, warn: () => undefined },
  };
  const j: Journey = { s: firstTermState(customer, map, DAY_MS, now), customer, map, env };
  enterFirstStage(j);
  j.s.owners ??= { ...customer.owners };
  return { j, atDay: (days: number) => void (now = PURCHASE + days * DAY_MS) };
}

const at = (day: number) => new Date(PURCHASE + day * DAY_MS).toISOString();
const event = (eventId: string, type: string, day: number, fields: Record<string, string> = {}) => ({ eventId, type, occurredAt: at(day), ...fields });
const kinds = (facts: JourneyFact[]) => facts.map((f) => `${f.kind} ${f.subject}`);

/** What perform() records for a touchpoint done, without the activity. */
function performed(j: Journey, record: TouchpointRecord): void {
  if (record.action === 'task') {
    const task: OwnerTask = { taskId: `task-${record.key}`, title: record.name, owner: record.owner, dueAt: at(12), touchpointKey: record.key, ownerRole: record.ownerRole, status: 'open' };
    j.s.tasks.push(task);
  }
  Object.assign(record, { status: 'done', doneAt: new Date(j.env.now()).toISOString(), result: `${record.action} done` });
}

/** Performs everything due now, as the main loop would, cadences included. */
function performDue(j: Journey): void {
  for (let due = dueWork(j, stageById(j.map, j.s.stage)); due; due = dueWork(j, stageById(j.map, j.s.stage))) {
    if ('missed' in due) escalateMissedMilestone(j, stageById(j.map, j.s.stage), due.missed);
    else {
      performed(j, due.touchpoint);
      scheduleNextOccurrence(j, stageById(j.map, j.s.stage), due.touchpoint);
    }
  }
}

test('a journey state implies its facts: stages, touchpoints, milestones with whether they were on time', () => {
  const { j, atDay } = journeyOn();
  performDue(j);
  atDay(1);
  recordEvent(j, event('e1', 'user.login', 1));
  atDay(2);
  performDue(j);
  recordEvent(j, event('e2', 'feature.used', 2, { feature: 'reports' }));
  advanceStage(j, stageById(j.map, 'onboarding'), 'milestones met');

  const facts = factsOf(j, JOURNEY);
  expect(kinds(facts)).toEqual([
    'stage.entered onboarding',
    'stage.left onboarding',
    'stage.entered adoption',
    'milestone.reached first-login',
    'milestone.reached key-feature-used',
    'touchpoint.done welcome-email#1',
    'touchpoint.done kickoff-call#1',
  ]);
  const byKind = (kind: string) => facts.find((f) => f.kind === kind)!;
  expect(byKind('stage.left')).toMatchObject({ at: at(2), term: 1, mapId: 'default', mapVersion: 1, detail: { reason: 'milestones met', enteredAt: at(0) } });
  expect(byKind('milestone.reached')).toMatchObject({ at: at(1), detail: { dueAt: at(7), reachedAt: at(1), onTime: true } });
  expect(byKind('touchpoint.done')).toMatchObject({
    key: `${JOURNEY}/t1/touchpoint.done/welcome-email#1`,
    detail: { touchpointId: 'welcome-email', action: 'email', name: 'Welcome email', stage: 'onboarding', result: 'email done', trigger: 'scheduled by the map' },
  });
  expect(new Set(facts.map((f) => f.key)).size).toBe(facts.length);
  // Computed again, the same facts under the same keys.
  expect(factsOf(j, JOURNEY)).toEqual(facts);
});

test('recurring occurrences, a stage entered again, two risk marks with the same reason and two migrations stay distinct', () => {
  const { j, atDay } = journeyOn();
  atDay(3);
  advanceStage(j, stageById(j.map, 'onboarding'), 'milestones met');
  for (const day of [33, 63, 93]) {
    atDay(day);
    performDue(j);
  }
  markAtRisk(j, 'usage dropped');
  atDay(94);
  markAtRisk(j, 'usage dropped');
  const v2 = { ...defaultMap, version: 2 };
  const v3 = { ...defaultMap, version: 3 };
  migrate(j, { map: v2 }, planMigration(j.s, j.map, { map: v2 }));
  migrate(j, { map: v3 }, planMigration(j.s, j.map, { map: v3 }));
  // A stage entered a second time in the term (by hand here: a map may loop back).
  j.s.stageHistory.at(-1)!.leftAt = at(95);
  j.s.stageHistory.push({ stage: 'onboarding', enteredAt: at(95) });

  const facts = factsOf(j, JOURNEY);
  const checkIns = facts.filter((f) => f.subject.startsWith('check-in-call'));
  expect(checkIns.map((f) => f.subject)).toEqual(['check-in-call#1', 'check-in-call#2', 'check-in-call#3']);
  expect(facts.filter((f) => f.kind === 'risk.marked').map((f) => [f.key, f.subject])).toEqual([
    [`${JOURNEY}/t1/risk.marked/1`, 'usage dropped'],
    [`${JOURNEY}/t1/risk.marked/2`, 'usage dropped'],
  ]);
  expect(facts.filter((f) => f.kind === 'migration').map((f) => f.subject)).toEqual(['default@2', 'default@3']);
  expect(facts.filter((f) => f.kind === 'stage.entered').map((f) => f.subject)).toEqual(['onboarding', 'adoption', 'onboarding']);
  expect(new Set(facts.map((f) => f.key)).size).toBe(facts.length);
});

test('an escalation that schedules the same touchpoint twice gives two facts', () => {
  const { j } = journeyOn();
  const record = j.s.touchpoints[0]!;
  j.s.touchpoints.push({ ...record }, { ...record });
  for (const r of j.s.touchpoints) Object.assign(r, { status: 'done', doneAt: at(0) });
  const subjects = factsOf(j, JOURNEY).filter((f) => f.kind === 'touchpoint.done').map((f) => f.subject);
  expect(subjects).toEqual(['welcome-email#1', 'kickoff-call#1', 'welcome-email#1~2', 'welcome-email#1~3']);
});

test('tasks: opened with their owner, completed with the outcome; open tasks are what an owner can still complete', () => {
  const { j, atDay } = journeyOn();
  performDue(j);
  atDay(7);
  performDue(j); // first-login missed: the help email and the owner's task
  expect(openTasksOf(j)).toEqual([expect.objectContaining({ title: 'Call about the missing login', status: 'open' })]);
  const [task] = j.s.tasks;
  atDay(8);
  completeTask(j, { taskId: task!.taskId, outcome: 'called the contact', notes: 'SSO fixed' });

  const facts = factsOf(j, JOURNEY);
  const opened = facts.find((f) => f.kind === 'task.opened')!;
  expect(opened).toMatchObject({ key: `${JOURNEY}/task.opened/${task!.taskId}`, at: at(7), detail: { owner: { email: 'sam.rivera@success.example' }, ownerRole: 'successManager', status: 'open' } });
  expect(opened.detail).not.toHaveProperty('outcome');
  const completed = facts.find((f) => f.kind === 'task.completed')!;
  expect(completed).toMatchObject({ at: at(8), detail: { ...task, status: 'done', outcome: 'called the contact', notes: 'SSO fixed' } });
  expect(kinds(facts)).toEqual(expect.arrayContaining(['milestone.missed first-login', 'touchpoint.done login-help-email#1', 'touchpoint.done login-help-task#1']));
  expect(openTasksOf(j)).toEqual([]);
});

test('a batch carries only what is new, the snapshot only when it changed; nothing new, no batch', () => {
  const { j, atDay } = journeyOn();
  const recorded: RecordedFacts = { keys: new Set() };
  const first = nextFactBatch([j], JOURNEY, recorded)!;
  expect(first).toMatchObject({ journeyId: JOURNEY, sequence: 1, customerId: j.s.customerId, segment: 'scaling', plan: j.customer.plan, openTasks: [] });
  expect(first.snapshot).toEqual(snapshotOf(j));
  expect(first.snapshot).toMatchObject({ stage: 'onboarding', term: 1, status: 'running', atRisk: false, company: j.customer.company });
  expect(kinds(first.facts)).toEqual(['stage.entered onboarding']);
  j.s.factBatches = first.sequence;
  markRecorded(recorded, first);

  expect(nextFactBatch([j], JOURNEY, recorded)).toBeUndefined();

  performDue(j);
  const second = nextFactBatch([j], JOURNEY, recorded)!;
  expect(second).toMatchObject({ sequence: 2 });
  expect(kinds(second.facts)).toEqual(['touchpoint.done welcome-email#1']);
  expect(second).not.toHaveProperty('snapshot');
  expect(second).not.toHaveProperty('openTasks');
  j.s.factBatches = second.sequence;
  markRecorded(recorded, second);

  atDay(90);
  markAtRisk(j, 'quiet');
  const third = nextFactBatch([j], JOURNEY, recorded)!;
  expect(third.snapshot).toMatchObject({ atRisk: true });
  expect(third).not.toHaveProperty('openTasks');
});

test('a renewal: the ending term and the next go in one batch; the next run, told so, sends nothing again', () => {
  const { j, atDay } = journeyOn();
  performDue(j);
  atDay(7);
  performDue(j); // an open task, carried into the next term
  const recorded: RecordedFacts = { keys: new Set() };
  markRecorded(recorded, nextFactBatch([j], JOURNEY, recorded)!);

  atDay(340);
  recordEvent(j, event('renewed', 'renewal.renewed', 340));
  const next = nextTermState(j);
  const nextJourney = { ...j, s: next };
  const batch = nextFactBatch([j, nextJourney], JOURNEY, recorded)!;
  expect(kinds(batch.facts)).toEqual(['stage.left onboarding', 'milestone.reached renewal-decided', 'outcome.renewed renewed', 'stage.entered adoption']);
  expect(batch.facts.map((f) => f.term)).toEqual([1, 1, 1, 2]);
  expect(batch.snapshot).toMatchObject({ term: 2, stage: 'adoption' });
  expect(batch).not.toHaveProperty('openTasks'); // the carried task is still open, as recorded
  expect(openTasksOf(nextJourney)).toHaveLength(1);
  markRecorded(recorded, batch);

  // The next run starts from "recorded already": the carried task and the first stage are not sent again.
  const nextRun = recordedAlready(nextJourney, JOURNEY);
  expect(nextFactBatch([nextJourney], JOURNEY, nextRun)).toBeUndefined();
  // A journey from before facts, or a run whose last batch failed, sends the term's facts again: the same keys.
  const fresh = nextFactBatch([nextJourney], JOURNEY, { keys: new Set() })!;
  expect(fresh.facts.every((f) => recorded.keys.has(f.key))).toBe(true);
});

test('a churned journey: its snapshot says so and it has no open tasks left', () => {
  const { j, atDay } = journeyOn();
  atDay(7);
  performDue(j);
  atDay(10);
  recordEvent(j, event('churned', 'renewal.churned', 10));
  expect(snapshotOf(j).status).toBe('churned');
  expect(openTasksOf(j)).toEqual([]);
  expect(kinds(factsOf(j, JOURNEY))).toContain('outcome.churned churned');
});

test('facts a term carries over (a milestone reached, a goal) keep their key in the next term', () => {
  const { j, atDay } = journeyOn();
  atDay(1);
  recordEvent(j, event('e1', 'user.login', 1));
  const before = factsOf(j, JOURNEY).find((f) => f.kind === 'milestone.reached')!;
  atDay(340);
  recordEvent(j, event('renewed', 'renewal.renewed', 340));
  const next: JourneyState = nextTermState(j);
  const after = factsOf({ ...j, s: next }, JOURNEY).find((f) => f.kind === 'milestone.reached' && f.subject === 'first-login')!;
  expect(after.key).toBe(before.key);
  expect(after.term).toBe(1);
});

test('a pause and its resume are facts with how long the journey was paused; a cancelled journey says so and keeps no open tasks', () => {
  const { j, atDay } = journeyOn();
  atDay(1);
  pause(j, { reason: 'billing dispute', by: 'ops@success.example' });
  expect(kinds(factsOf(j, JOURNEY)).filter((k) => k.startsWith('journey.'))).toEqual(['journey.paused billing dispute']);
  atDay(4.5);
  resume(j, {});
  const facts = factsOf(j, JOURNEY).filter((f) => f.kind.startsWith('journey.'));
  expect(facts.map((f) => [f.kind, f.at, f.detail])).toEqual([
    ['journey.paused', at(1), { reason: 'billing dispute', by: 'ops@success.example' }],
    ['journey.resumed', at(4.5), { pausedAt: at(1), pausedDays: 3.5 }],
  ]);
  // Keyed by when the pause began: the same pause gives the same keys in a later run.
  expect(facts.map((f) => f.key)).toEqual([`${JOURNEY}/journey.paused/${at(1)}`, `${JOURNEY}/journey.resumed/${at(1)}`]);

  atDay(6);
  cancel(j, { reason: 'duplicate account' });
  expect(factsOf(j, JOURNEY).filter((f) => f.kind === 'outcome.cancelled').map((f) => [f.subject, f.at])).toEqual([['duplicate account', at(6)]]);
  expect(snapshotOf(j).status).toBe('cancelled');
  expect(openTasksOf(j)).toEqual([]);
});
