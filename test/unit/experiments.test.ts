import type { JourneyMap } from '../../contracts/map';
import { armFor, assignArms } from '../../workflows/interpreter/experiments';
import { factsOf } from '../../workflows/interpreter/facts';
import type { Journey, JourneyEnv } from '../../workflows/interpreter/journey';
import { readPinnedMap } from '../../workflows/interpreter/pinned-map';
import { enterFirstStage, firstTermState } from '../../workflows/interpreter/stages';
import { journeyMapSchema } from '../../src/maps/schema';
import { customerFixture, defaultMap, DAY_MS } from '../helpers/fixtures';

/** Experiments: arms by weight from the customer id alone, audiences that match on them, the assignment as a fact. */
const PURCHASE = Date.parse('2026-12-07T09:00:00Z');
const trainingTest = { id: 'onboarding-training', arms: [{ id: 'control', weight: 10 }, { id: 'training', weight: 90 }] };

/** The default map with the kickoff call only for the training arm: the control arm is the holdout. */
function experimentMap(): JourneyMap {
  const raw = JSON.parse(JSON.stringify(defaultMap)) as JourneyMap;
  raw.experiments = [trainingTest];
  raw.stages[0]!.touchpoints.find((t) => t.id === 'kickoff-call')!.audience = { experiment: { id: 'onboarding-training', arms: ['training'] } };
  return journeyMapSchema.parse(raw);
}

function journeyOf(customerId: string, map: JourneyMap): Journey {
  const customer = customerFixture(PURCHASE, { customerId });
  const env: JourneyEnv = { now: () => PURCHASE, patched: () => true, upsertSearchAttributes: () => undefined, log: { info: () => undefined, warn: () => undefined } };
  const j: Journey = { s: firstTermState(customer, map, DAY_MS, PURCHASE), customer, map, env };
  assignArms(j);
  enterFirstStage(j);
  return j;
}

test('each customer falls in an arm by its weight, and always the same one', () => {
  const counts = { control: 0, training: 0 } as Record<string, number>;
  for (let i = 0; i < 20_000; i += 1) counts[armFor(`customer-${i}`, trainingTest)]! += 1;
  expect(counts.control! / 20_000).toBeGreaterThan(0.085);
  expect(counts.control! / 20_000).toBeLessThan(0.115);
  expect(armFor('acme', trainingTest)).toBe(armFor('acme', trainingTest));
  // Ids that differ only at the end spread too: no arm is empty among 100 neighbours.
  const neighbours = new Set(Array.from({ length: 100 }, (_, i) => armFor(`customer-${i}`, trainingTest)));
  expect([...neighbours].sort()).toEqual(['control', 'training']);
  // Another experiment splits the same customers independently of the first.
  const other = { id: 'other', arms: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }] };
  const both = Array.from({ length: 2_000 }, (_, i) => `${armFor(`customer-${i}`, trainingTest)}/${armFor(`customer-${i}`, other)}`);
  expect(both.filter((pair) => pair === 'training/a').length / 2_000).toBeGreaterThan(0.4);
  expect(both.filter((pair) => pair === 'training/a').length / 2_000).toBeLessThan(0.5);
});

test('a touchpoint for one arm is skipped, with the reason, for customers in another; the assignment is a fact', () => {
  const map = experimentMap();
  const ids = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
  const inControl = ids.find((id) => armFor(id, trainingTest) === 'control')!;
  const inTraining = ids.find((id) => armFor(id, trainingTest) === 'training')!;

  const holdout = journeyOf(inControl, map);
  expect(holdout.s.experimentArms).toEqual({ 'onboarding-training': { arm: 'control', assignedAt: new Date(PURCHASE).toISOString() } });
  expect(holdout.s.touchpoints.find((t) => t.touchpointId === 'kickoff-call')).toMatchObject({ status: 'skipped', result: 'not for this customer (experiment onboarding-training: arm control)' });
  expect(holdout.s.touchpoints.find((t) => t.touchpointId === 'welcome-email')).toMatchObject({ status: 'pending' });

  const trained = journeyOf(inTraining, map);
  expect(trained.s.touchpoints.find((t) => t.touchpointId === 'kickoff-call')).toMatchObject({ status: 'pending' });
  const assigned = factsOf(trained, 'journey-x/run-1').filter((f) => f.kind === 'experiment.assigned');
  expect(assigned.map((f) => [f.key, f.subject, f.detail])).toEqual([['journey-x/run-1/experiment.assigned/onboarding-training', 'onboarding-training', { arm: 'training' }]]);
});

test('a map names only experiments, arms and milestones it has, each experiment and arm once, with two arms at least', () => {
  const map = experimentMap();
  const issues = (raw: unknown) => {
    const parsed = journeyMapSchema.safeParse(raw);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const kickoff = map.stages[0]!.touchpoints.findIndex((t) => t.id === 'kickoff-call');
  const withAudience = (experiment: unknown) => {
    const raw = JSON.parse(JSON.stringify(map));
    raw.stages[0].touchpoints[kickoff].audience = { experiment };
    return raw;
  };
  expect(issues(withAudience({ id: 'nope', arms: ['training'] }))).toEqual([`stages.0.touchpoints.${kickoff}.audience.experiment.id: unknown experiment "nope" (experiments: onboarding-training)`]);
  expect(issues(withAudience({ id: 'onboarding-training', arms: ['trainnig'] }))).toEqual([
    `stages.0.touchpoints.${kickoff}.audience.experiment.arms.0: unknown arm "trainnig" (experiment "onboarding-training" has: control, training)`,
  ]);
  expect(issues({ ...map, experiments: [{ id: 'solo', arms: [{ id: 'only', weight: 1 }] }, trainingTest] })).toEqual(['experiments.0.arms: an experiment needs at least two arms']);
  expect(issues({ ...map, experiments: [trainingTest, { ...trainingTest, arms: [{ id: 'a', weight: 1 }, { id: 'a', weight: 0 }] }] })).toEqual(
    expect.arrayContaining(['experiments.1.arms.1.weight: Too small: expected number to be >=1']),
  );
  // The milestone an experiment is meant to move is one of the map's.
  expect(issues({ ...map, experiments: [{ ...trainingTest, milestone: 'first-login' }] })).toEqual([]);
  expect(issues({ ...map, experiments: [{ ...trainingTest, milestone: 'first-logn' }] })).toEqual([expect.stringMatching(/^experiments\.0\.milestone: unknown milestone "first-logn" \(milestones: first-login, /)]);
  // A map pinned before experiments reads as one without any.
  const { experiments: _none, ...pinned } = defaultMap;
  expect(readPinnedMap(pinned).experiments).toEqual([]);
});
