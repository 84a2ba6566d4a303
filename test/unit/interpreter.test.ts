import type { Customer } from '../../contracts/customer';
import type { JourneyState } from '../../contracts/journey';
import type { JourneyMap } from '../../contracts/map';
import { escalateMissedMilestone, runDueEscalations } from '../../workflows/interpreter/escalations';
import { recordEvent } from '../../workflows/interpreter/events';
import type { Journey, JourneyEnv } from '../../workflows/interpreter/journey';
import type { JourneySearchAttributes } from '../../workflows/interpreter/journey-env';
import { stageById } from '../../workflows/interpreter/map-lookups';
import { migrate, planMigration, previewMigration } from '../../workflows/interpreter/migration';
import { reassignOwner } from '../../workflows/interpreter/owners';
import { nextWakeTime } from '../../workflows/interpreter/next-wake';
import { dueWork, scheduleNextOccurrence } from '../../workflows/interpreter/schedule';
import { advanceStage, enterFirstStage, firstTermState, nextTermState, stageExitReason } from '../../workflows/interpreter/stages';
import { customerFixture, DAY_MS, defaultMap } from '../helpers/fixtures';

/**
 * The interpreter's rules as plain functions: a Journey on the default map, a clock the test moves, and a
 * recorder in place of Temporal. No server, no workflow sandbox.
 */
const PURCHASE = Date.parse('2026-12-07T09:00:00Z'); // a Monday

function journeyOn(map: JourneyMap = defaultMap, customer: Customer = customerFixture(PURCHASE)) {
  let now = PURCHASE;
  const upserts: JourneySearchAttributes[] = [];
  const env: JourneyEnv = {
    now: () => now,
    patched: () => true,
    upsertSearchAttributes: (attributes) => void upserts.push(attributes),
    log: { info: () => undefined, warn: () => undefined },
  };
  const j: Journey = { s: firstTermState(customer, map, DAY_MS, now), customer, map, env };
  enterFirstStage(j);
  j.s.owners ??= { ...customer.owners };
  return { j, upserts, atDay: (days: number) => void (now = PURCHASE + days * DAY_MS) };
}

const event = (eventId: string, type: string, day: number, fields: Record<string, string> = {}) => ({
  eventId,
  type,
  occurredAt: new Date(PURCHASE + day * DAY_MS).toISOString(),
  ...fields,
});
const touchpoint = (s: JourneyState, id: string) => s.touchpoints.find((t) => t.touchpointId === id);

test('a new journey starts in the first stage with its touchpoints scheduled and its milestones due', () => {
  const { j } = journeyOn();
  expect(j.s).toMatchObject({ stage: 'onboarding', term: 1, atRisk: false, termStartedAt: new Date(PURCHASE).toISOString() });
  expect(j.s.touchpoints.map((t) => [t.key, (Date.parse(t.dueAt) - PURCHASE) / DAY_MS, t.status])).toEqual([
    ['welcome-email#1', 0, 'pending'],
    ['kickoff-call#1', 2, 'pending'],
  ]);
  expect(j.s.milestones.filter((m) => m.stage === 'onboarding').map((m) => [m.id, (Date.parse(m.dueAt!) - PURCHASE) / DAY_MS])).toEqual([
    ['first-login', 7],
    ['key-feature-used', 21],
  ]);
  expect(touchpoint(j.s, 'welcome-email')!.owner.email).toBe('sam.rivera@success.example');
});

test('what is due comes first, then the next wake-up is the next thing due', () => {
  const { j, atDay } = journeyOn();
  const stage = stageById(j.map, 'onboarding');
  expect(dueWork(j, stage)).toEqual({ touchpoint: expect.objectContaining({ key: 'welcome-email#1' }) });
  touchpoint(j.s, 'welcome-email')!.status = 'done';
  expect(dueWork(j, stage)).toBeUndefined();
  expect((nextWakeTime(j, stage)! - PURCHASE) / DAY_MS).toBe(2);
  atDay(7);
  touchpoint(j.s, 'kickoff-call')!.status = 'done';
  expect(dueWork(j, stage)).toEqual({ missed: expect.objectContaining({ id: 'first-login' }) });
});

test('an event counts once by eventId; a login reaches its milestone at the time it occurred', () => {
  const { j } = journeyOn();
  expect(recordEvent(j, event('e1', 'user.login', 3))).toBe(true);
  expect(recordEvent(j, event('e1', 'user.login', 4))).toBe(false);
  expect(j.s.eventsReceived).toBe(1);
  expect(j.s.milestones.find((m) => m.id === 'first-login')).toMatchObject({ status: 'reached', reachedAt: event('', '', 3).occurredAt, eventId: 'e1' });
});

test('a churn ends the term; one that occurred before the term began changes nothing', () => {
  const { j } = journeyOn();
  recordEvent(j, event('old', 'renewal.churned', -30));
  expect(j.s.outcome).toBeUndefined();
  recordEvent(j, event('now', 'renewal.churned', 40));
  expect(j.s.outcome).toMatchObject({ type: 'churned', eventId: 'now' });
});

test('a missed milestone schedules its help email and task; the task left open two days reaches the manager', () => {
  const { j, atDay } = journeyOn();
  const stage = stageById(j.map, 'onboarding');
  atDay(7);
  escalateMissedMilestone(j, stage, j.s.milestones.find((m) => m.id === 'first-login')!);
  expect(j.s.milestones.find((m) => m.id === 'first-login')!.status).toBe('missed');
  expect(j.s.touchpoints.filter((t) => t.trigger === 'milestone "First login" missed').map((t) => t.key)).toEqual([
    'login-help-email#1',
    'login-help-task#1',
  ]);
  // The task was created (as the activity would report) and stays open past its due date.
  j.s.tasks.push({ taskId: 't1', title: 'Call', owner: j.s.owners!.successManager!, dueAt: new Date(PURCHASE + 9 * DAY_MS).toISOString(), touchpointKey: 'login-help-task#1', ownerRole: 'successManager', status: 'open' });
  atDay(10);
  expect(runDueEscalations(j, stage)).toBe(false); // due on day 9, escalated two days after
  atDay(11);
  expect(runDueEscalations(j, stage)).toBe(true);
  expect(j.s.touchpoints.at(-1)).toMatchObject({ touchpointId: 'notify-manager', action: 'task', status: 'pending' });
  expect(runDueEscalations(j, stage)).toBe(false); // each level once
});

test('both onboarding milestones reached: the stage ends, adoption begins, and the search attributes say so', () => {
  const { j, upserts, atDay } = journeyOn();
  recordEvent(j, event('e1', 'user.login', 1));
  recordEvent(j, event('e2', 'feature.used', 5, { feature: 'reports' }));
  atDay(5);
  const onboarding = stageById(j.map, 'onboarding');
  expect(stageExitReason(j, onboarding)).toBe('milestones met');
  advanceStage(j, onboarding, 'milestones met');
  expect(j.s.stage).toBe('adoption');
  expect(j.s.stageHistory.map((h) => [h.stage, h.reason])).toEqual([
    ['onboarding', 'milestones met'],
    ['adoption', undefined],
  ]);
  // The kickoff call the customer was promised still happens; the stage's cadence is scheduled.
  expect(touchpoint(j.s, 'kickoff-call')!.status).toBe('pending');
  expect(touchpoint(j.s, 'check-in-call')).toMatchObject({ status: 'pending', recurs: true });
  expect(upserts.at(-1)).toEqual({ stage: 'adoption', atRisk: false, term: 1 });
});

test('a cadence picks up from now after an outage instead of booking the missed occurrences back to back', () => {
  const { j, atDay } = journeyOn();
  recordEvent(j, event('e1', 'user.login', 1));
  recordEvent(j, event('e2', 'feature.used', 2, { feature: 'reports' }));
  atDay(2);
  const onboarding = stageById(j.map, 'onboarding');
  advanceStage(j, onboarding, 'milestones met');
  const adoption = stageById(j.map, 'adoption');
  const first = touchpoint(j.s, 'check-in-call')!;
  first.status = 'done';
  atDay(2 + 100); // the worker was down for months
  scheduleNextOccurrence(j, adoption, first);
  expect(j.s.touchpoints.at(-1)).toMatchObject({ key: 'check-in-call#4', dueAt: new Date(PURCHASE + (2 + 120) * DAY_MS).toISOString() });
});

test('a renewal starts the next term in the map’s next-term stage with the renewal date moved on', () => {
  const { j, atDay } = journeyOn();
  atDay(350);
  recordEvent(j, event('r', 'renewal.renewed', 350));
  const next = nextTermState(j);
  expect(next).toMatchObject({ term: 2, stage: defaultMap.renewal.nextTermStage, outcome: undefined });
  expect(next.previousTerms).toEqual([expect.objectContaining({ term: 1, outcome: 'renewed' })]);
  expect(Date.parse(next.renewalDate) - Date.parse(j.s.renewalDate)).toBe(defaultMap.renewal.termDays * DAY_MS);
});

test('a migration that would strand the journey in a stage the target lacks is refused with the reason', () => {
  const { j } = journeyOn();
  const target: JourneyMap = { ...defaultMap, version: 2, stages: defaultMap.stages.map((s) => (s.id === 'onboarding' ? { ...s, id: 'getting-started' } : s)) };
  expect(() => planMigration(j.s, j.map, { map: target })).toThrow(/the journey is in stage "onboarding", which default@2 lacks/);
  // A dry run answers with the reason rather than failing (a failed query's message would reach the client encrypted).
  expect(previewMigration(j.s, j.map, { map: target })).toEqual({ refused: expect.stringMatching(/^the journey is in stage "onboarding", which default@2 lacks/) });
  const plan = planMigration(j.s, j.map, { map: target, stageMapping: { onboarding: 'getting-started' } });
  expect(previewMigration(j.s, j.map, { map: target, stageMapping: { onboarding: 'getting-started' } })).toEqual({ plan });
  migrate(j, { map: target, stageMapping: { onboarding: 'getting-started' } }, plan);
  expect(j.s).toMatchObject({ mapVersion: 2, stage: 'getting-started' });
  expect(j.map).toBe(target);
});

test('a migration maps only the ids its mapping names: a stage called "constructor" is not mapped to a built-in', () => {
  const { j } = journeyOn();
  const target: JourneyMap = { ...defaultMap, version: 2, stages: defaultMap.stages.map((s) => (s.id === 'onboarding' ? { ...s, id: 'constructor' } : s)) };
  const current: JourneyMap = { ...defaultMap, stages: defaultMap.stages.map((s) => (s.id === 'onboarding' ? { ...s, id: 'constructor' } : s)) };
  j.s.stage = 'constructor';
  const plan = planMigration(j.s, current, { map: target, stageMapping: {} });
  migrate({ ...j, map: current }, { map: target, stageMapping: {} }, plan);
  expect(j.s.stage).toBe('constructor');
});

test('reassigning a role moves the previous holder’s pending work and publishes the new owners', () => {
  const { j, upserts } = journeyOn();
  const kim = { name: 'Kim Lee', email: 'kim@success.example' };
  const result = reassignOwner(j, 'successManager', kim);
  expect(result.movedTouchpoints).toEqual(['welcome-email#1', 'kickoff-call#1']);
  expect(touchpoint(j.s, 'kickoff-call')!.owner).toEqual(kim);
  expect(upserts.find((u) => u.owners)!.owners).toContain('kim@success.example');
});
