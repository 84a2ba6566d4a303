import { journeysCli } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { DAY_MS, defaultMap, purchaseBody } from '../helpers/fixtures';
import { TEST_PAYLOAD_KEYS } from '../helpers/payloads';
import { LocalStack, startedForTheseTests } from '../helpers/stack';

/**
 * Maps reviewed at least yearly, as ops meet it over HTTP (the map list, the owner's worklist) and in the CLI,
 * and the CLI's journey list with the journeys that ended: the real engine on loopback.
 */
const stack = new LocalStack();
startedForTheseTests(stack);

const SAM = 'sam.rivera@success.example';
const dateOn = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The CLI against the stack's Temporal (read when a test runs: the stack starts before the tests). */
const journeys = (...args: string[]) => journeysCli({ TEMPORAL_ADDRESS: stack.devServer!.address, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS })(...args);

test('GET /v1/maps says who owns each map, when it was last reviewed and whether its review is overdue', async () => {
  const shipped = (await stack.get('/v1/maps')).body.maps;
  for (const id of ['default', 'enterprise', 'tech-touch']) {
    expect(shipped.find((m: { id: string }) => m.id === id)).toMatchObject({ owner: expect.any(String), lastReviewed: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), reviewOverdue: expect.any(Boolean) });
  }
  const reviewedToday = { ...defaultMap, id: 'reviewed-today', owner: 'accountManager', lastReviewed: dateOn(Date.now()) };
  const { owner: _owner, lastReviewed: _lastReviewed, ...unreviewed } = defaultMap;
  const neverReviewed = { ...unreviewed, id: 'never-reviewed' };
  for (const map of [reviewedToday, neverReviewed]) expect((await stack.post('/v1/maps', map)).status).toBe(201);
  const maps = (await stack.get('/v1/maps')).body.maps;
  expect(maps.find((m: { id: string }) => m.id === 'reviewed-today')).toMatchObject({ owner: 'accountManager', lastReviewed: reviewedToday.lastReviewed, reviewOverdue: false });
  // Never reviewed: overdue, but with no owner nobody gets a task.
  const never = maps.find((m: { id: string }) => m.id === 'never-reviewed');
  expect(never).toMatchObject({ reviewOverdue: true });
  expect(never).not.toHaveProperty('owner');
  expect(never).not.toHaveProperty('lastReviewed');
});

test('a map is refused with the field and the reason when its owner or review date is wrong', async () => {
  const unknownOwner = await stack.post('/v1/maps', { ...defaultMap, id: 'badly-owned', owner: 'mapCurator' });
  expect([unknownOwner.status, unknownOwner.body.issues]).toEqual([400, [{ field: 'owner', message: expect.stringContaining('no one on the team is "mapCurator"') }]]);
  const future = await stack.post('/v1/maps', { ...defaultMap, id: 'badly-dated', lastReviewed: dateOn(Date.now() + 30 * DAY_MS) });
  expect([future.status, future.body.issues]).toEqual([400, [{ field: 'lastReviewed', message: 'must not be in the future' }]]);
});

test('the owner of a map last reviewed over a year ago finds a review task in their worklist and their inbox, and completes it', async () => {
  const map = { ...defaultMap, id: 'stale-map', name: 'Stale journey', owner: 'successManager', lastReviewed: dateOn(Date.now() - 400 * DAY_MS) };
  expect((await stack.post('/v1/maps', map)).status).toBe(201);
  expect((await stack.get('/v1/maps')).body.maps.find((m: { id: string }) => m.id === 'stale-map')).toMatchObject({ reviewOverdue: true });
  const reviewsOf = async (status: string) =>
    (await stack.get(`/v1/tasks?owner=${SAM}&status=${status}`)).body.tasks.filter((t: { mapId?: string }) => t.mapId === 'stale-map');
  const [task] = await eventually(async () => {
    const open = await reviewsOf('open');
    expect(open).toHaveLength(1);
    return open;
  });
  expect(task).toMatchObject({ kind: 'map-review', title: 'Review the journey map Stale journey', owner: { email: SAM }, mapVersion: 1, status: 'open' });
  // The owner hears of it by email too, as of a journey's task: once.
  const reviewMail = async () => (await stack.catcher!.mailbox.list({ to: SAM })).filter((mail) => mail.subject === 'Review the journey map Stale journey');
  await eventually(async () => expect(await reviewMail()).toEqual([expect.objectContaining({ text: expect.stringContaining(`Task id: ${task.taskId}`) })]));

  const done = await stack.post(`/v1/tasks/${task.taskId}/complete`, { outcome: 'reviewed with the team', notes: 'v2 to follow' });
  expect([done.status, done.body]).toEqual([200, expect.objectContaining({ taskId: task.taskId, status: 'done', outcome: 'reviewed with the team', notes: 'v2 to follow' })]);
  // Again: the first completion stands.
  expect((await stack.post(`/v1/tasks/${task.taskId}/complete`, { outcome: 'twice' })).body.outcome).toBe('reviewed with the team');
  expect(await reviewsOf('open')).toEqual([]);
  expect(await reviewsOf('done')).toEqual([expect.objectContaining({ taskId: task.taskId, completedAt: expect.any(String) })]);
  expect((await stack.post('/v1/tasks/map-review-stale-map-0123456789ab/complete', { outcome: 'done' })).status).toBe(404);
  expect(await reviewMail()).toHaveLength(1);
});

test('journeys maps list shows each version\'s owner and last review; journeys list --all shows ended journeys and how they ended', async () => {
  const maps = await journeys('maps', 'list');
  expect([maps.code, maps.stderr]).toEqual([0, '']);
  expect(maps.stdout).toMatch(/^stale-map\s+1\s+successManager\s+\d{4}-\d{2}-\d{2}\s+OVERDUE /m);
  expect(maps.stdout).toMatch(/^never-reviewed\s+1\s+-\s+never\s+OVERDUE /m);

  for (const customerId of ['list-stays', 'list-leaves']) expect((await stack.post('/v1/purchases', purchaseBody(customerId))).status).toBe(201);
  expect((await stack.post('/v1/customers/list-leaves/cancel', { reason: 'signed by mistake' })).status).toBe(200);
  const running = await eventually(async () => {
    const listed = await journeys('list');
    expect(listed.stdout).toMatch(/^list-stays\s+running\s+onboarding /m);
    return listed;
  });
  expect(running.stdout).not.toContain('list-leaves');
  const all = await eventually(async () => {
    const listed = await journeys('list', '--all');
    expect(listed.stdout).toMatch(/^list-leaves\s+cancelled /m);
    return listed;
  });
  expect(all.stdout).toMatch(/^list-stays\s+running /m);
  expect((await journeys('list', '--status', 'all')).stdout).toMatch(/^list-leaves\s+cancelled /m);
  expect((await journeys('list', '--status', 'ended')).stderr).toContain('--status: must be running or all');
}, 120_000);
