import { ApiKeys } from '../../src/auth/api-keys';
import { journeysCli } from '../helpers/cli';
import { TEST_PAYLOAD_KEYS } from '../helpers/payloads';
import { eventually } from '../helpers/eventually';
import { productEvent, purchaseBody } from '../helpers/fixtures';
import { LocalStack, startedForTheseTests } from '../helpers/stack';

/**
 * Bulk operations through the real API, worker, Temporal dev server and engine database: twelve journeys in two
 * segments, one segment's success manager reassigned by a query, the other paused and resumed with an event sent
 * in between (acted on after the resume), an operation started while no worker runs (it finishes once one does),
 * and bad orders answered 400 with the field.
 */
const stack = new LocalStack();
startedForTheseTests(stack);

const SAM = 'sam.rivera@success.example';
const ALEX = 'alex.chen@success.example';
const STARTUPS = Array.from({ length: 6 }, (_, i) => `bulk-startup-${i}`);
const SCALING = Array.from({ length: 6 }, (_, i) => `bulk-scaling-${i}`);

const journeyOf = async (customerId: string) => (await stack.get(`/v1/customers/${customerId}/journey`)).body;

/** Starts an operation and waits until it has finished: its final report. */
async function bulk(order: object): Promise<any> {
  const started = await stack.post('/v1/bulk-operations', order);
  expect([started.status, started.body.links?.self]).toEqual([202, `/v1/bulk-operations/${started.body.operationId}`]);
  return finished(started.body.operationId);
}

async function finished(operationId: string): Promise<any> {
  return eventually(async () => {
    const report = await stack.get(`/v1/bulk-operations/${operationId}`);
    expect(report.status).toBe(200);
    if (!report.body.finished) throw new Error(`not finished yet: ${report.body.results.length} of ${report.body.total}`);
    // Finished (every result in) a moment before its workflow completes.
    if (report.body.status !== 'COMPLETED') throw new Error(`finished, its workflow ${report.body.status}`);
    return report.body;
  }, 60_000, 250);
}

const customersOf = (report: { results: { customerId: string }[] }) => report.results.map((r) => r.customerId).sort();

beforeAll(async () => {
  for (const customerId of [...STARTUPS, ...SCALING]) {
    const segment = customerId.includes('startup') ? 'startup' : 'scaling';
    expect((await stack.post('/v1/purchases', purchaseBody(customerId, { segment, mapId: 'default' }))).status).toBe(201);
  }
  // Visibility catches up with the starts.
  await eventually(async () => {
    const listed = (await stack.get('/v1/journeys?segment=startup')).body.journeys.length + (await stack.get('/v1/journeys?segment=scaling')).body.journeys.length;
    expect(listed).toBe(12);
  });
}, 120_000);

test('a bulk reassign changes the success manager of every journey its query selects, and of no other', async () => {
  const report = await bulk({ action: 'reassign', query: 'CustomerSegment = "startup"', reassign: { role: 'successManager', ownerId: ALEX }, by: 'ops@success.example' });
  expect(report).toMatchObject({ action: 'reassign', total: 6, done: 6, skipped: 0, failed: 0, finished: true, status: 'COMPLETED' });
  expect(customersOf(report)).toEqual(STARTUPS);
  expect(report.results[0]).toEqual({ customerId: report.results[0].customerId, workflowId: `journey-${report.results[0].customerId}`, outcome: 'done' });
  for (const customerId of STARTUPS) expect([customerId, (await journeyOf(customerId)).owners.successManager.email]).toEqual([customerId, ALEX]);
  for (const customerId of SCALING) expect([customerId, (await journeyOf(customerId)).owners.successManager.email]).toEqual([customerId, SAM]);
  // The listing shows it, newest first, with its counts.
  await eventually(async () => {
    const listed = (await stack.get('/v1/bulk-operations')).body.operations;
    expect(listed[0]).toMatchObject({ operationId: report.operationId, action: 'reassign', total: 6, done: 6, finished: true, status: 'COMPLETED' });
  });
}, 120_000);

test('a bulk pause then resume: an event sent while paused is acted on after the resume; pausing twice skips', async () => {
  const paused = await bulk({ action: 'pause', query: 'CustomerSegment = "scaling"', reason: 'a product incident' });
  expect(paused).toMatchObject({ total: 6, done: 6, skipped: 0, failed: 0 });
  expect(customersOf(paused)).toEqual(SCALING);
  const again = await bulk({ action: 'pause', query: 'CustomerSegment = "scaling"', reason: 'a product incident' });
  expect(again).toMatchObject({ total: 6, done: 0, skipped: 6, failed: 0 });
  expect(again.results[0].reason).toMatch(/already paused/);

  const [first] = SCALING;
  expect((await stack.post(`/v1/customers/${first}/events`, productEvent('user.login'))).status).toBe(202);
  await eventually(async () => expect((await journeyOf(first!)).heldEvents).toHaveLength(1));
  const held = await journeyOf(first!);
  expect(held.paused).toMatchObject({ reason: 'a product incident', by: expect.stringContaining(paused.operationId) });
  expect(held.milestones.find((m: { id: string }) => m.id === 'first-login').status).toBe('pending');

  const resumed = await bulk({ action: 'resume', query: 'CustomerSegment = "scaling"' });
  expect(resumed).toMatchObject({ total: 6, done: 6, skipped: 0, failed: 0 });
  await eventually(async () => expect((await journeyOf(first!)).milestones.find((m: { id: string }) => m.id === 'first-login').status).toBe('reached'));
  for (const customerId of SCALING) expect([customerId, (await journeyOf(customerId)).paused]).toEqual([customerId, undefined]);
  // The startups were never paused.
  for (const customerId of STARTUPS) expect([customerId, (await journeyOf(customerId)).pauses]).toEqual([customerId, undefined]);
}, 120_000);

test('an operation started while no worker runs finishes, one result per journey, once a worker is back', async () => {
  await stack.stopWorker();
  const started = await stack.post('/v1/bulk-operations', { action: 'reassign', query: 'CustomerSegment = "startup"', reassign: { role: 'successManager', ownerId: SAM } });
  expect(started).toMatchObject({ status: 202, body: { total: 6 } });
  // Under way and durable: Temporal holds it, nothing has acted on it yet.
  const listed = (await stack.get('/v1/bulk-operations')).body.operations.find((o: { operationId: string }) => o.operationId === started.body.operationId);
  expect(listed).toMatchObject({ status: 'RUNNING', finished: false, done: 0 });
  await stack.startWorker();
  const report = await finished(started.body.operationId);
  expect(report).toMatchObject({ total: 6, done: 6, finished: true });
  expect(customersOf(report)).toEqual(STARTUPS);
  for (const customerId of STARTUPS) expect([customerId, (await journeyOf(customerId)).owners.successManager.email]).toEqual([customerId, SAM]);
}, 180_000);

/** The CLI as a person runs it, against the stack's Temporal. */
const journeys = (...args: string[]) => journeysCli({ TEMPORAL_ADDRESS: stack.devServer!.address, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS })(...args);

test('journeys bulk starts an operation and journeys bulk status reports one line per journey', async () => {
  const started = await journeys('bulk', 'resume', '--query', 'CustomerSegment = "startup"');
  expect([started.code, started.stderr]).toEqual([0, '']);
  const operationId = /started (bulk-[0-9a-f-]+): 6 journeys selected/.exec(started.stdout)?.[1];
  expect(operationId).toBeDefined();
  await finished(operationId!);
  // None of the startups is paused: each is skipped, with the journey's reason.
  const status = await journeys('bulk', 'status', operationId!);
  expect(status.stdout).toContain('resume of 6 journeys: 0 done, 6 skipped, 0 failed, finished');
  expect(status.stdout).toMatch(/bulk-startup-0\s+skipped\s+.*not paused/);
  const refused = await journeys('bulk', 'reassign', '--query', 'CustomerSegment = "startup"', '--role', 'successManager', '--owner', 'stranger@elsewhere.example');
  expect([refused.code, refused.stderr.trim()]).toEqual([1, expect.stringMatching(/^bulk: reassign.ownerId: is not in the team/)]);
}, 120_000);

test('bad orders are answered 400 naming the field; a migration needs maps:write; unknown operations are 404', async () => {
  const refused = async (order: unknown) => {
    const answer = await stack.post('/v1/bulk-operations', order);
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid request']);
    return answer.body.issues.map((issue: { field: string; message: string }) => `${issue.field}: ${issue.message}`);
  };
  const query = 'CustomerSegment = "startup"';
  expect(await refused({ action: 'explode', query })).toEqual(['action: must be one of pause, resume, cancel, reassign, migrate']);
  expect(await refused({ action: 'reassign', query, reassign: { role: 'successManager' } })).toEqual(['reassign.ownerId: is required']);
  expect((await refused({ action: 'reassign', query, reassign: { role: 'successManager', ownerId: 'stranger@elsewhere.example' } }))[0]).toMatch(/^reassign.ownerId: is not in the team/);
  expect((await refused({ action: 'reassign', query, reassign: { role: 'janitor', ownerId: ALEX } }))[0]).toMatch(/^reassign.role: is not a role of the team/);
  expect(await refused({ action: 'pause', query })).toEqual(['reason: is required']);
  expect(await refused({ action: 'resume' })).toEqual(['query: is required']);
  // A query that would close the journeys' clause and OR past it, one Temporal cannot parse, one it refuses.
  expect(await refused({ action: 'resume', query: 'CustomerId = "x") OR (WorkflowType != "x"' })).toEqual(['query: closes a parenthesis it did not open']);
  expect((await refused({ action: 'resume', query: 'nonsense ==' }))[0]).toMatch(/^query: is not a visibility query Temporal accepts/);
  expect((await refused({ action: 'resume', query: 'NoSuchAttribute = "x"' }))[0]).toMatch(/^query: is not a visibility query Temporal accepts/);
  expect(await refused({ action: 'migrate', query, migrate: { mapId: 'default', toVersion: 99 } })).toEqual(['migrate.toVersion: map "default" version 99 is not published']);

  const keys = new ApiKeys(await stack.database());
  const writer = (await keys.create('journeys only', ['journeys:write'])).key;
  const migration = await fetch(`${stack.apiUrl}/v1/bulk-operations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
    body: JSON.stringify({ action: 'migrate', query, migrate: { mapId: 'default', toVersion: 1 } }),
  });
  expect([migration.status, ((await migration.json()) as { error: string }).error]).toEqual([403, 'this API key ("journeys only") lacks the scope maps:write']);

  expect((await stack.get('/v1/bulk-operations/bulk-00000000-0000-0000-0000-000000000000')).status).toBe(404);
  expect((await stack.get('/v1/bulk-operations/journey-bulk-startup-0')).body.issues[0].field).toBe('operationId');
}, 60_000);
