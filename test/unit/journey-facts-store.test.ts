import type { FactBatch, JourneyFact, JourneySnapshot } from '../../contracts/facts';
import type { OwnerTask } from '../../contracts/journey';
import type { Database } from '../../src/db/database';
import { PgJourneyFacts } from '../../src/facts/journey-facts';
import { freshDatabase } from '../helpers/database';

/** PgJourneyFacts on a real PostgreSQL (test/global-setup.ts), a database of its own per test. */
let db: Database;
let store: PgJourneyFacts;

beforeEach(async () => {
  db = await freshDatabase();
  store = new PgJourneyFacts(db);
});

afterEach(async () => {
  await db.end();
});

const JOURNEY = 'journey-acme/run-1';
const SAM = { name: 'Sam Rivera', email: 'sam.rivera@success.example' };
const ALEX = { name: 'Alex Kim', email: 'Alex.Kim@success.example' };

const fact = (kind: JourneyFact['kind'], subject: string, at: string, detail: Record<string, unknown> = {}): JourneyFact => ({
  key: `${JOURNEY}/t1/${kind}/${subject}`,
  kind,
  subject,
  at,
  term: 1,
  mapId: 'default',
  mapVersion: 1,
  detail,
});

const snapshot = (stage: string, overrides: Partial<JourneySnapshot> = {}): JourneySnapshot => ({
  customerId: 'acme',
  company: 'Acme Analytics',
  mapId: 'default',
  mapVersion: 1,
  segment: 'scaling',
  plan: 'growth',
  term: 1,
  stage,
  atRisk: false,
  status: 'running',
  startedAt: '2026-12-07T09:00:00.000Z',
  ...overrides,
});

const task = (taskId: string, owner: { name: string; email: string }, dueAt: string, overrides: Partial<OwnerTask> = {}): OwnerTask => ({
  taskId,
  title: `Task ${taskId}`,
  owner,
  dueAt,
  touchpointKey: `${taskId}#1`,
  ownerRole: 'successManager',
  status: 'open',
  ...overrides,
});

const batch = (sequence: number, rest: Partial<FactBatch>): FactBatch => ({
  journeyId: JOURNEY,
  sequence,
  customerId: 'acme',
  segment: 'scaling',
  plan: 'growth',
  facts: [],
  ...rest,
});

const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) AS rows`, params)).rows[0]!.n);

test('a batch recorded twice keeps each fact once, as it was first recorded', async () => {
  const first = batch(1, {
    facts: [fact('stage.entered', 'onboarding', '2026-12-07T09:00:00Z'), fact('touchpoint.done', 'welcome-email#1', '2026-12-07T09:00:05Z', { result: 'sent' })],
    snapshot: snapshot('onboarding'),
    openTasks: [],
  });
  await store.record(first);
  await store.record(first);
  // The same key with another detail (a replay never makes one, but a bug might): the first stays.
  await store.record(batch(2, { facts: [{ ...first.facts[1]!, detail: { result: 'changed' } }] }));

  const facts = await store.factsOfJourney(JOURNEY);
  expect(facts.map((f) => [f.kind, f.subject, f.at])).toEqual([
    ['stage.entered', 'onboarding', '2026-12-07T09:00:00.000Z'],
    ['touchpoint.done', 'welcome-email#1', '2026-12-07T09:00:05.000Z'],
  ]);
  expect(facts[1]).toMatchObject({ journeyId: JOURNEY, customerId: 'acme', segment: 'scaling', plan: 'growth', term: 1, detail: { result: 'sent' } });
  // Append-only: the table refuses an update.
  await expect(db.query(`UPDATE journey_facts SET subject = 'x'`)).rejects.toThrow('journey facts are append-only');
});

test('an older batch arriving late adds its facts but does not overwrite the newer snapshot or open tasks', async () => {
  const older = batch(1, { facts: [fact('stage.entered', 'onboarding', '2026-12-07T09:00:00Z')], snapshot: snapshot('onboarding'), openTasks: [task('t1', SAM, '2026-12-10T09:00:00Z')] });
  const newer = batch(2, {
    facts: [fact('stage.entered', 'adoption', '2026-12-10T09:00:00Z')],
    snapshot: snapshot('adoption', { atRisk: true }),
    openTasks: [task('t2', SAM, '2026-12-12T09:00:00Z')],
  });
  await store.record(newer);
  await store.record(older);

  const { rows } = await db.query('SELECT stage, at_risk, sequence FROM journeys WHERE journey_id = $1', [JOURNEY]);
  expect(rows).toEqual([{ stage: 'adoption', at_risk: true, sequence: 2 }]);
  expect((await store.openTasks(SAM.email)).map((t) => t.taskId)).toEqual(['t2']);
  expect(await count('SELECT * FROM journey_facts')).toBe(2);
});

test('a newer snapshot replaces the journey row; its open tasks replace the old ones, and none left clears them', async () => {
  await store.record(batch(1, { snapshot: snapshot('onboarding'), openTasks: [task('t1', SAM, '2026-12-10T09:00:00Z'), task('t2', SAM, '2026-12-11T09:00:00Z')] }));
  // A snapshot without open tasks (they did not change) leaves them.
  await store.record(batch(2, { snapshot: snapshot('onboarding', { atRisk: true }) }));
  expect((await store.openTasks(SAM.email)).map((t) => t.taskId)).toEqual(['t1', 't2']);
  await store.record(batch(3, { snapshot: snapshot('adoption'), openTasks: [task('t2', SAM, '2026-12-11T09:00:00Z')] }));
  expect((await store.openTasks(SAM.email)).map((t) => t.taskId)).toEqual(['t2']);
  await store.record(batch(4, { snapshot: snapshot('adoption', { status: 'churned' }), openTasks: [] }));
  expect(await store.openTasks()).toEqual([]);
  expect((await db.query('SELECT status, sequence FROM journeys')).rows).toEqual([{ status: 'churned', sequence: 4 }]);
});

test('open tasks by owner (any case), by due date, with the customer; everybody\'s without an owner', async () => {
  const other = { ...batch(1, { snapshot: snapshot('onboarding', { customerId: 'globex' }) }), journeyId: 'journey-globex/run-1', customerId: 'globex' };
  await store.record({ ...other, openTasks: [task('g1', ALEX, '2026-12-09T09:00:00Z')] });
  await store.record(batch(1, { snapshot: snapshot('onboarding'), openTasks: [task('a2', SAM, '2026-12-12T09:00:00Z'), task('a1', ALEX, '2026-12-10T09:00:00Z', { escalations: 1 })] }));

  expect(await store.openTasks('alex.kim@SUCCESS.example')).toEqual([
    { ...task('g1', ALEX, '2026-12-09T09:00:00Z'), customerId: 'globex' },
    { ...task('a1', ALEX, '2026-12-10T09:00:00Z', { escalations: 1 }), customerId: 'acme' },
  ]);
  expect((await store.openTasks(SAM.email)).map((t) => t.taskId)).toEqual(['a2']);
  expect((await store.openTasks()).map((t) => t.taskId)).toEqual(['g1', 'a1', 'a2']);
  expect(await store.openTasks('nobody@success.example')).toEqual([]);
});

test('done tasks come from the task.completed facts, as the task was completed', async () => {
  const done = task('t1', SAM, '2026-12-10T09:00:00Z', { status: 'done', completedAt: '2026-12-09T10:00:00.000Z', outcome: 'called', notes: 'fixed SSO' });
  const earlier = task('t0', SAM, '2026-12-08T09:00:00Z', { status: 'done', completedAt: '2026-12-08T10:00:00.000Z', outcome: 'emailed' });
  await store.record(
    batch(1, {
      facts: [
        fact('task.opened', 't1', '2026-12-07T09:00:00Z', { ...task('t1', SAM, '2026-12-10T09:00:00Z') }),
        fact('task.completed', 't1', done.completedAt!, { ...done }),
        fact('task.completed', 't0', earlier.completedAt!, { ...earlier }),
        fact('task.completed', 'x1', '2026-12-08T10:00:00Z', { ...task('x1', ALEX, '2026-12-08T09:00:00Z', { status: 'done' }) }),
      ],
    }),
  );
  expect(await store.doneTasks('SAM.RIVERA@success.example')).toEqual([
    { ...earlier, customerId: 'acme' },
    { ...done, customerId: 'acme' },
  ]);
});

test('the same batch recorded by two writers at once is recorded once, without a deadlock or an error', async () => {
  const facts = Array.from({ length: 200 }, (_, i) => fact('touchpoint.done', `check-in-call#${i + 1}`, '2026-12-07T09:00:00Z'));
  const same = batch(1, { facts, snapshot: snapshot('adoption'), openTasks: [task('t1', SAM, '2026-12-10T09:00:00Z')] });
  // The same facts in another order too: the writer sorts them, so the two take their locks alike.
  await Promise.all([store.record(same), store.record({ ...same, facts: [...facts].reverse() }), store.record(same)]);
  expect(await count('SELECT * FROM journey_facts')).toBe(200);
  expect(await count('SELECT * FROM journeys')).toBe(1);
  expect((await store.openTasks(SAM.email)).map((t) => t.taskId)).toEqual(['t1']);
});

test('a fact of an unknown kind is refused by the table, and the batch with it is not recorded at all', async () => {
  const bad = batch(1, { facts: [fact('stage.entered', 'onboarding', '2026-12-07T09:00:00Z'), { ...fact('stage.entered', 'x', '2026-12-07T09:00:00Z'), kind: 'stage.teleported' as never }], snapshot: snapshot('onboarding') });
  await expect(store.record(bad)).rejects.toThrow(/journey_facts_kind_check|violates check constraint/);
  expect(await count('SELECT * FROM journey_facts')).toBe(0);
  expect(await count('SELECT * FROM journeys')).toBe(0);
});

test('record returns the facts the batch added: none that a retry, a replay or another writer at the same time recorded', async () => {
  const welcome = fact('touchpoint.done', 'welcome-email#1', '2026-12-07T09:00:05Z', { action: 'email' });
  const entered = fact('stage.entered', 'onboarding', '2026-12-07T09:00:00Z');
  expect((await store.record(batch(1, { facts: [entered, welcome], snapshot: snapshot('onboarding') }))).map((f) => f.key)).toEqual([entered.key, welcome.key]);
  expect(await store.record(batch(1, { facts: [entered, welcome], snapshot: snapshot('onboarding') }))).toEqual([]);
  const kickoff = fact('touchpoint.done', 'kickoff-call#1', '2026-12-09T15:00:00Z', { action: 'call' });
  expect(await store.record(batch(2, { facts: [welcome, kickoff] }))).toEqual([kickoff]);
  // An older batch arriving late still adds its new facts (its snapshot is ignored).
  const late = fact('risk.marked', 'no login', '2026-12-08T09:00:00Z');
  expect(await store.record(batch(1, { facts: [late], snapshot: snapshot('onboarding') }))).toEqual([late]);

  const many = Array.from({ length: 50 }, (_, i) => fact('touchpoint.done', `check-in-call#${i + 1}`, '2026-12-07T09:00:00Z', { action: 'call' }));
  const added = await Promise.all([store.record(batch(3, { facts: many })), store.record(batch(3, { facts: [...many].reverse() }))]);
  expect(added.flat().map((f) => f.key).sort()).toEqual(many.map((f) => f.key).sort());
});

test('running journeys by map, stage and risk, from the journeys table', async () => {
  const journey = (id: string, stage: string, overrides: Partial<JourneySnapshot> = {}) =>
    store.record({ ...batch(1, { snapshot: snapshot(stage, overrides) }), journeyId: `journey-${id}/run-1`, customerId: id });
  await journey('a', 'onboarding');
  await journey('b', 'onboarding');
  await journey('c', 'onboarding', { atRisk: true });
  await journey('d', 'adoption', { mapId: 'enterprise' });
  await journey('e', 'renewal', { status: 'churned' });
  expect(await store.journeysByStage()).toEqual([
    { mapId: 'default', stage: 'onboarding', atRisk: false, journeys: 2 },
    { mapId: 'default', stage: 'onboarding', atRisk: true, journeys: 1 },
    { mapId: 'enterprise', stage: 'adoption', atRisk: false, journeys: 1 },
  ]);
});

test('batches of one journey written at once by many writers leave the newest batch\'s row and open tasks, every time', async () => {
  for (let round = 1; round <= 10; round += 1) {
    const journeyId = `journey-acme/run-${round}`;
    const write = (sequence: number) =>
      store.record({
        ...batch(sequence, { snapshot: snapshot(`stage-${sequence}`), openTasks: [task(`r${round}-t${sequence}`, SAM, '2026-12-10T09:00:00Z')] }),
        journeyId,
      });
    // Newest first and last, so a late older batch meets a newer row and an early one is replaced.
    await Promise.all([write(4), write(1), write(3), write(2), write(4), write(1)]);
    const { rows } = await db.query('SELECT stage, sequence FROM journeys WHERE journey_id = $1', [journeyId]);
    expect(rows).toEqual([{ stage: 'stage-4', sequence: 4 }]);
    const tasks = (await store.openTasks()).filter((t) => t.taskId.startsWith(`r${round}-`));
    expect(tasks.map((t) => t.taskId)).toEqual([`r${round}-t4`]);
  }
});

test('a journey\'s day length is recorded; a batch from a worker older than day lengths records a real day', async () => {
  await store.record(batch(1, { snapshot: snapshot('onboarding', { dayMs: 1_000 }) }));
  await store.record({ ...batch(1, { snapshot: snapshot('onboarding') }), journeyId: 'journey-globex/run-1', customerId: 'globex' });
  const { rows } = await db.query('SELECT journey_id, day_ms FROM journeys ORDER BY journey_id');
  expect(rows).toEqual([
    { journey_id: JOURNEY, day_ms: '1000' },
    { journey_id: 'journey-globex/run-1', day_ms: '86400000' },
  ]);
});
