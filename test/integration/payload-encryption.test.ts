import { execFile } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { ApiKeys } from '../../src/auth/api-keys';
import { PROJECT_ROOT } from '../../src/config';
import { CODEC_BASE_PATH } from '../../src/api/codec-endpoint';
import { journeyWorkflowId } from '../../src/journeys/service';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { startTemporalDevServer } from '../../src/temporal/dev-server';
import { EncryptionCodec, parsePayloadKeys } from '../../src/temporal/payload-codec';
import { eventually, freePort } from '../helpers/eventually';
import { purchaseBody } from '../helpers/fixtures';
import { encodingOf, payloadsIn, testPayloadCodec, type JsonPayload } from '../helpers/payloads';
import { LocalStack, TEMPORAL_UI_URL } from '../helpers/stack';

/**
 * No customer's contact is readable in Temporal: a journey started through the real stack, whose welcome email
 * the relay refuses (so its history holds a failure too, with a message naming the address and a stack trace),
 * leaves nothing of the contact in the raw history the server keeps; the codec endpoint gives it back to those
 * whose key may read it, from the Temporal UI's page only.
 */
const stack = new LocalStack();
const contact = { name: 'Wilhelmina Quarterfield', email: 'wilhelmina.q@bounce-secret.example' };
const company = 'Quarterfield Hauliers Ltd';
let connection: Connection;
let history: temporal.api.history.v1.IHistory;
let decodeKey: string;
let readOnlyKey: string;

beforeAll(async () => {
  await stack.startAll({ rejectRecipients: (address) => address === contact.email });
  connection = await Connection.connect({ address: stack.devServer!.address });
  const keys = new ApiKeys(await stack.database());
  decodeKey = (await keys.create('temporal ui', ['payloads:decode'])).key;
  readOnlyKey = (await keys.create('ops dashboard', ['journeys:read'])).key;

  expect((await stack.post('/v1/purchases', purchaseBody('qh-1', { company, contact }))).status).toBe(201);
  // The welcome fails for good (550 for the contact's address), and the owner gets a task instead.
  await eventually(async () => expect((await stack.get('/v1/customers/qh-1/journey')).body.tasks).toHaveLength(1), 30_000);
  history = await rawHistory(journeyWorkflowId('qh-1'));
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await stack.stopAll();
}, 60_000);

/** The history as the server keeps it: the raw protobuf of getWorkflowExecutionHistory, nothing decoded. */
async function rawHistory(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, nextPageToken });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/** Every string in a JSON value, and each one base64-decoded as well: what anyone reading the server's database could read. */
function readableTexts(value: unknown): string[] {
  if (typeof value === 'string') return [value, Buffer.from(value, 'base64').toString('utf8')];
  if (Array.isArray(value)) return value.flatMap(readableTexts);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...readableTexts(inner)]);
  return [];
}

const codec = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${CODEC_BASE_PATH}${path}`, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...init.headers },
  });

test('the raw history holds nothing of the contact, the company, or stack traces; only search attributes are plain', () => {
  const json = JSON.parse(historyToJSON(history)) as { events: Record<string, unknown>[] };
  const eventTypes = json.events.map((event) => event.eventType);
  // The story the history tells: the welcome email's activity failed, the owner's task was made.
  expect(eventTypes).toEqual(expect.arrayContaining(['EVENT_TYPE_ACTIVITY_TASK_FAILED', 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES']));
  const texts = readableTexts(json);
  for (const secret of [contact.email, contact.name, 'wilhelmina', 'Quarterfield', company, PROJECT_ROOT, '.ts:']) {
    expect([secret, texts.filter((text) => text.toLowerCase().includes(secret.toLowerCase())).length]).toEqual([secret, 0]);
  }
  // What is plain is what the server must index: ids, enums and the staff's addresses.
  const failed = json.events.find((event) => event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_FAILED') as {
    activityTaskFailedEventAttributes: { failure: { message: string; stackTrace?: string; cause?: { message: string } } };
  };
  expect(failed.activityTaskFailedEventAttributes.failure.message).toBe('Encoded failure');
  expect(failed.activityTaskFailedEventAttributes.failure.stackTrace ?? '').toBe('');

  const { indexed, bookkeeping, other } = partition(json);
  expect(other.length).toBeGreaterThan(5);
  expect(other.filter((payload) => encodingOf(payload) !== 'binary/encrypted')).toEqual([]);
  expect(new Set(indexed.map(encodingOf))).toEqual(new Set(['json/plain']));
  // The SDK's own markers (a local activity's sequence number and times; a journey of today's revision has no patch
  // markers) bypass the codec: no customer data.
  expect(new Set(bookkeeping.map((payload) => Object.keys(JSON.parse(Buffer.from(payload.data!, 'base64').toString()) as object).sort().join(',')))).toEqual(
    new Set(['activity_id,activity_type,attempt,backoff,complete_time,original_schedule_time,seq']),
  );
  // Summaries (what the UI shows beside each activity, here naming the contact's address) are encrypted payloads too.
  const scheduled = json.events.filter((event) => event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') as { userMetadata?: { summary?: JsonPayload } }[];
  expect(scheduled.length).toBeGreaterThan(0);
  for (const event of scheduled) expect(encodingOf(event.userMetadata!.summary!)).toBe('binary/encrypted');
});

/**
 * The history's payloads: those of search attributes (indexed by the server: plain), the bookkeeping of the SDK's
 * markers (plain: the codec never sees them), and all others.
 */
function partition(json: unknown): { indexed: JsonPayload[]; bookkeeping: JsonPayload[]; other: JsonPayload[] } {
  const indexed: JsonPayload[] = [];
  const bookkeeping: JsonPayload[] = [];
  const walk = (value: unknown, parent = ''): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item));
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (key === 'searchAttributes') {
          indexed.push(...payloadsIn(inner));
          return [key, null];
        }
        if (parent === 'markerDetails' && (key === 'patch-data' || key === 'data')) {
          bookkeeping.push(...payloadsIn(inner));
          return [key, null];
        }
        return [key, walk(inner, parent === 'markerRecordedEventAttributes' && key === 'details' ? 'markerDetails' : key)];
      }),
    );
  };
  return { indexed, bookkeeping, other: payloadsIn(walk(json)) };
}

test('the codec endpoint decodes the history for a key with payloads:decode, in the path or in the header', async () => {
  const { other: encrypted } = partition(JSON.parse(historyToJSON(history)));
  const viaPath = await codec(`/${decodeKey}/decode`, { body: JSON.stringify({ payloads: encrypted }) });
  expect(viaPath.status).toBe(200);
  const decoded = ((await viaPath.json()) as { payloads: JsonPayload[] }).payloads;
  expect(decoded).toHaveLength(encrypted.length);
  expect(new Set(decoded.map(encodingOf))).toEqual(new Set(['json/plain', 'binary/null']));
  const plain = decoded.map((payload) => Buffer.from(payload.data ?? '', 'base64').toString('utf8')).join('\n');
  expect(plain).toContain(contact.email);
  expect(plain).toContain(contact.name);
  // The failure's message and stack trace are there again for who may read them.
  expect(plain).toMatch(/"stack_trace":"[^"]*\.ts:\d+/);

  const viaHeader = await codec('/decode', { headers: { authorization: `Bearer ${decodeKey}` }, body: JSON.stringify({ payloads: encrypted.slice(0, 3) }) });
  expect(viaHeader.status).toBe(200);
  expect(((await viaHeader.json()) as { payloads: JsonPayload[] }).payloads).toEqual(decoded.slice(0, 3));

  // Encoding (the UI's "start workflow" or signal) gives what the engine's own codec reads.
  const input = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"hello":"codec"}').toString('base64') };
  const encoded = await codec(`/${decodeKey}/encode`, { body: JSON.stringify({ payloads: [input] }) });
  const [sealed] = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads;
  expect(encodingOf(sealed!)).toBe('binary/encrypted');
  const [opened] = await testPayloadCodec.decode([
    { metadata: Object.fromEntries(Object.entries(sealed!.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(sealed!.data!, 'base64') },
  ]);
  expect(Buffer.from(opened!.data!).toString()).toBe('{"hello":"codec"}');
});

test('the temporal CLI shows the history decrypted through the endpoint, with the key in the header or in the path', async () => {
  const show = (...codecFlags: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        ensureTemporalCli(),
        ['workflow', 'show', '-w', journeyWorkflowId('qh-1'), '--address', stack.devServer!.address, '--output', 'json', ...codecFlags],
        { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
  const readable = (json: string) => readableTexts(JSON.parse(json)).join('\n');
  expect(readable(await show())).not.toContain(contact.email);
  const withHeader = await show('--codec-endpoint', `${stack.apiUrl}${CODEC_BASE_PATH}`, '--codec-auth', `Bearer ${decodeKey}`);
  expect(readable(withHeader)).toContain(contact.email);
  const withPath = await show('--codec-endpoint', `${stack.apiUrl}${CODEC_BASE_PATH}/${decodeKey}`);
  expect(readable(withPath)).toContain(contact.name);
});

test('without a key 401, with a key lacking payloads:decode 403; bad payloads are a 400 that names them', async () => {
  const body = JSON.stringify({ payloads: [] });
  const anonymous = await codec('/decode', { body });
  expect(anonymous.status).toBe(401);
  expect(((await anonymous.json()) as { error: string }).error).toMatch(/an API key with the scope payloads:decode is required: in the path/);
  expect((await codec('/cjk_nonsense/decode', { body })).status).toBe(401);
  const readOnly = await codec(`/${readOnlyKey}/decode`, { body });
  expect(readOnly.status).toBe(403);
  expect(await readOnly.json()).toEqual({ error: 'this API key ("ops dashboard") lacks the scope payloads:decode' });
  expect((await codec('/decode', { headers: { authorization: `Bearer ${readOnlyKey}` }, body })).status).toBe(403);
  expect((await codec(`/${decodeKey}/unknown`, { body })).status).toBe(404);

  // Encrypted with a key the engine does not hold: refused with its id, not a 500.
  const [foreign] = await new EncryptionCodec(parsePayloadKeys(`retired-0:${Buffer.alloc(32, 9).toString('base64')}`)).encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') },
  ]);
  const asJson = { metadata: Object.fromEntries(Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(foreign!.data!).toString('base64') };
  const refused = await codec(`/${decodeKey}/decode`, { body: JSON.stringify({ payloads: [asJson] }) });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({
    error: 'invalid request',
    issues: [{ field: 'payloads.0', message: expect.stringContaining('a payload is encrypted with key "retired-0", which PAYLOAD_KEYS lacks') }],
  });
  expect((await codec(`/${decodeKey}/decode`, { body: '{"payloads": [{"data": "not base64!"}]}' })).status).toBe(400);
  expect((await codec(`/${decodeKey}/decode`, { body: '{"payloads": [' })).status).toBe(400);
});

test('a decode request may be larger than the API body limit, up to the codec endpoint own', async () => {
  const big = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify('x'.repeat(600_000))).toString('base64') };
  const large = await codec(`/${decodeKey}/decode`, { body: JSON.stringify({ payloads: [big] }) });
  expect(large.status).toBe(200);
  expect(((await large.json()) as { payloads: JsonPayload[] }).payloads).toEqual([big]);
  // Elsewhere the API's 100 KB stands.
  expect((await stack.post('/v1/purchases', { padding: 'x'.repeat(200_000) })).status).toBe(413);
  const huge = await codec(`/${decodeKey}/decode`, { body: JSON.stringify({ payloads: [{ ...big, data: 'A'.repeat(5 * 1024 * 1024) }] }) });
  expect(huge.status).toBe(413);
});

test('CORS: the Temporal UI page may call it (preflight, credentials); no other origin is told it may', async () => {
  const uiOrigin = new URL(TEMPORAL_UI_URL).origin;
  const preflight = await fetch(`${stack.apiUrl}${CODEC_BASE_PATH}/${decodeKey}/decode`, {
    method: 'OPTIONS',
    headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin);
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  expect(preflight.headers.get('access-control-allow-headers')?.split(/,\s*/).sort()).toEqual(['authorization', 'content-type', 'x-namespace']);

  const fromUi = await codec(`/${decodeKey}/decode`, { headers: { origin: uiOrigin }, body: JSON.stringify({ payloads: [] }) });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(uiOrigin);
  expect(fromUi.headers.get('vary')).toMatch(/origin/i);
  // A refusal is readable by the UI's page too, so it can say why.
  expect((await codec('/decode', { headers: { origin: uiOrigin }, body: '{}' })).headers.get('access-control-allow-origin')).toBe(uiOrigin);

  const elsewhere = 'http://evil.example';
  const foreignPreflight = await fetch(`${stack.apiUrl}${CODEC_BASE_PATH}/${decodeKey}/decode`, {
    method: 'OPTIONS',
    headers: { origin: elsewhere, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
  expect(foreignPreflight.headers.get('access-control-allow-headers')).toBeNull();
  const fromElsewhere = await codec(`/${decodeKey}/decode`, { headers: { origin: elsewhere }, body: JSON.stringify({ payloads: [] }) });
  expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  expect(fromElsewhere.headers.get('access-control-allow-credentials')).toBeNull();
});

test("the engine's own clients read the encrypted journey; a client without the keys cannot", async () => {
  const journey = (await stack.get('/v1/customers/qh-1/journey')).body;
  expect(journey.tasks[0].title).toMatch(new RegExp(`^Do it by hand: Welcome email for ${company} \\(email refused: .*550`));
  // A client without the keys gets only ciphertext back from a query.
  const keyless = new Client({ connection });
  await expect(keyless.workflow.getHandle(journeyWorkflowId('qh-1')).query('journeyState')).rejects.toThrow();
});

test("the dev server (npm start's) hands its UI the codec endpoint, key and all", async () => {
  const endpoint = `http://localhost:3000${CODEC_BASE_PATH}/${decodeKey}`;
  const uiPort = await freePort();
  const dev = await startTemporalDevServer({
    cli: ensureTemporalCli(),
    dbFile: path.join(mkdtempSync(path.join(os.tmpdir(), 'journeys-ui-')), 'temporal.sqlite'),
    port: await freePort(),
    uiPort,
    uiCodecEndpoint: endpoint,
  });
  try {
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe(endpoint);
  } finally {
    await dev.stop();
  }
}, 60_000);
