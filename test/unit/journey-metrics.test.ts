import { Registry } from 'prom-client';
import type { JourneyFact } from '../../contracts/facts';
import { factSample, journeyFactCounters } from '../../src/metrics/journey-facts';

/** Facts → the worker's counters: what each kind of fact adds, with which labels (a pure function, no server). */
const fact = (kind: JourneyFact['kind'], subject: string, detail: Record<string, unknown> = {}): JourneyFact => ({
  key: `journey-acme/run-1/t1/${kind}/${subject}`,
  kind,
  subject,
  at: '2026-12-07T09:00:00Z',
  term: 1,
  mapId: 'default',
  mapVersion: 3,
  detail,
});

test('touchpoint facts count by map, the action their detail names and the result their kind names', () => {
  expect(factSample(fact('touchpoint.done', 'welcome-email#1', { action: 'email', result: 'sent' }))).toEqual({
    metric: 'touchpoint',
    labels: { map: 'default', action: 'email', result: 'done' },
  });
  for (const [kind, action] of [['touchpoint.failed', 'webhook'], ['touchpoint.skipped', 'email'], ['touchpoint.unconfirmed', 'email'], ['touchpoint.done', 'task']] as const) {
    expect(factSample(fact(kind, 'x#1', { action }))?.labels).toEqual({ map: 'default', action, result: kind.split('.')[1] });
  }
});

test("a meeting's attendance counts as its kind's touchpoint (call or training), attended or no-show", () => {
  expect(factSample(fact('meeting.attended', 'booking-1', { kind: 'call', touchpointKey: 'kickoff-call#1' }))?.labels).toEqual({ map: 'default', action: 'call', result: 'attended' });
  expect(factSample(fact('meeting.no-show', 'booking-2', { kind: 'training' }))?.labels).toEqual({ map: 'default', action: 'training', result: 'no-show' });
});

test('milestones count by map and milestone id, reached or missed', () => {
  expect(factSample(fact('milestone.reached', 'first-login', { name: 'First login', stage: 'onboarding' }))).toEqual({
    metric: 'milestone',
    labels: { map: 'default', milestone: 'first-login', result: 'reached' },
  });
  expect(factSample(fact('milestone.missed', 'key-feature-used'))?.labels).toEqual({ map: 'default', milestone: 'key-feature-used', result: 'missed' });
});

test('other facts count nothing; an action no map knows is "other", so labels stay bounded', () => {
  for (const kind of ['stage.entered', 'stage.left', 'task.opened', 'task.completed', 'risk.marked', 'goal.met', 'outcome.renewed', 'migration'] as const) {
    expect([kind, factSample(fact(kind, 'x'))]).toEqual([kind, undefined]);
  }
  const action = (detail: Record<string, unknown>) => factSample(fact('touchpoint.done', 'x#1', detail))?.labels;
  expect(action({ action: 'carrier-pigeon' })).toEqual({ map: 'default', action: 'other', result: 'done' });
  expect(action({})).toEqual({ map: 'default', action: 'other', result: 'done' });
  expect(action({ action: 'constructor' })).toEqual({ map: 'default', action: 'other', result: 'done' });
});

test('the counters add up what they are given, in the registry they are given', async () => {
  const registry = new Registry();
  const { count } = journeyFactCounters(registry);
  count([fact('touchpoint.done', 'welcome-email#1', { action: 'email' }), fact('stage.entered', 'onboarding'), fact('milestone.reached', 'first-login')]);
  count([fact('touchpoint.done', 'nudge#1', { action: 'email' })]);
  count([]);
  const text = await registry.metrics();
  expect(text).toContain('journey_touchpoints_total{map="default",action="email",result="done"} 2');
  expect(text).toContain('journey_milestones_total{map="default",milestone="first-login",result="reached"} 1');
  expect(text).toContain('# TYPE journey_touchpoints_total counter');
});
