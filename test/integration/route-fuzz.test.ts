import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { signInbound } from '../../src/auth/webhook-signatures';
import { PROJECT_ROOT } from '../../src/config';
import { unsubscribeToken } from '../../src/delivery/suppressions';
import { eventually } from '../helpers/eventually';
import { DAY_MS, defaultMap, purchaseBody } from '../helpers/fixtures';
import { LocalStack, TEMPORAL_UI_URL, UNSUBSCRIBE_SECRET } from '../helpers/stack';
import { appRoutes } from '../helpers/app-routes';

/**
 * Property-based fuzzing of every route of the HTTP API against the real stack: hostile path params, query
 * strings, bodies, content types and keys, and near-valid bodies with one field broken (those reach deepest).
 * Every answer is below 500, every 400 names its field, no answer shows the engine's internals, and no refused
 * request starts or changes a journey. FUZZ_SEED=<n> fuzzes with another seed (fast-check prints the seed and path
 * of a failure), FUZZ_SCALE=<n> sends n times as many requests, FUZZ_DEBUG=1 (or all) prints the answers.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const INBOUND_SECRET = 'route-fuzz-inbound-secret-0123456789';
// The fuzzer sends hundreds of requests a minute from one address with one key.
const stack = new LocalStack({ http: { requestsPerMinute: 1_000_000 }, inboundWebhookSecrets: [INBOUND_SECRET] });

/** The journeys the fuzzer must not change by refused requests: bought now, 2.5 days ago (a kickoff call booked), 7.5 days ago (a login-help task open). */
const BOUGHT_DAYS_AGO = { 'fz-fresh': 0, 'fz-booked': 2.5, 'fz-tasked': 7.5, 'fz-control': 0 } as const;
type Customer = keyof typeof BOUGHT_DAYS_AGO;
const CUSTOMERS = Object.keys(BOUGHT_DAYS_AGO) as Customer[];
/**
 * Gets only what must be refused: hostile bodies, and sound ones for a role, booking or task it does not have
 * (refused by the journey's own checks). Nothing it is sent can be accepted, so it must end as it began.
 */
const CONTROL: Customer = 'fz-control';

// ---------------------------------------------------------------------------------------------------------------
// Hostile values.

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
/** Those a role name may be (letters and digits): they reach the journey's own role check. */
const ROLE_SHAPED_PROTO_NAMES = PROTO_NAMES.filter((name) => /^[a-zA-Z][a-zA-Z0-9]*$/.test(name));
const NASTY = [
  ...PROTO_NAMES,
  '', ' ', '\t', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '💥', 'é', '\u202e', '\ufeff', 'Ω≈ç√', 'null', 'undefined', 'NaN', 'Infinity',
  '-Infinity', '-1', '0', '-0', '1e309', '9007199254740993', '0x10', 'true', '[]', '{}', "' OR '1'='1", '" OR ""="', '") OR (1=1',
  '{{constructor.constructor("return process")()}}', '${7*7}', '<script>alert(1)</script>', '../../etc/passwd', '%00', '%', 'maps',
  'journey-maps', 'default', 'successManager', '\r\nX-Injected: 1',
];
const LONG = ['x'.repeat(10_000), 'é'.repeat(10_000), '\u0000'.repeat(10_000), '"'.repeat(10_000)];
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\\', '"', '%', '.', '-', 'a', 'é', ' '), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG) },
);
/** As JSON text, so numbers JSON.stringify cannot make (1e400, -0, beyond 2^53) reach the parser too. */
const RAW_JSON = [
  '1e400', '-1e400', '-0', '1e-400', '123456789012345678901234567890', '-9007199254740993', '0.5', '1.0000000000000002', '2147483648',
  '[]', '{}', '[[]]', '[null]', 'null', 'true', 'false', '""', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"',
  '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"toString":1,"hasOwnProperty":2}',
];
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...RAW_JSON) },
  { weight: 3, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE)).map((n) => JSON.stringify(n)) },
);
const hostileKey: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PROTO_NAMES) }, { weight: 1, arbitrary: hostileString });

/** Percent-encoded, as a client that encodes would send it (a lone surrogate becomes U+FFFD, as fetch would make it). */
const enc = (s: string) => encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd'));
/** Path segments sent as they are: broken and overlong UTF-8, NUL, encoded slashes and dots, over-long. */
const RAW_SEGMENTS = ['%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', 'a%00b', '%2F', '%5C', '%2e%2e', '..', '.', '%20', '+', '%u0041', '%25', 'x'.repeat(10_000)];
const hostileSegment: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: hostileString.map(enc) }, { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) });

/** A raw query string: the route's own names with hostile values, repeated names, brackets, broken escapes. */
function queryString(names: string[], valid: Record<string, string[]> = {}): fc.Arbitrary<string> {
  const name = fc.constantFrom(...names);
  const part = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(name, hostileString).map(([n, v]) => `${n}=${enc(v)}`) },
    { weight: 3, arbitrary: fc.constantFrom(...Object.entries(valid).flatMap(([n, values]) => values.map((v) => `${n}=${enc(v)}`)), 'x=1') },
    { weight: 1, arbitrary: fc.tuple(name, fc.constantFrom('[]', '[a]', '[__proto__]', '.x', '[0]')).map(([n, b]) => `${n}${enc(b)}=x`) },
    { weight: 1, arbitrary: fc.tuple(name, hostileSegment).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: fc.tuple(hostileKey, hostileString).map(([k, v]) => `${enc(k)}=${enc(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '=', '&', '==', '%E0%A4%A=1', 'a=%00', '%00=1', '&&&', '?', '#', `x=${'y'.repeat(10_000)}`) },
  );
  return fc.array(part, { maxLength: 4 }).map((parts) => parts.join('&'));
}

// ---------------------------------------------------------------------------------------------------------------
// Bodies: near-valid ones (a valid body with one thing broken), arbitrary JSON, bad JSON, wrong content types.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Body {
  text?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Every place inside a JSON value, as its path of keys and indexes. */
function placesIn(value: Json, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...at, i], ...placesIn(v, [...at, i])]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...placesIn(v, [...at, k])]);
  return [];
}

const MARK = '\u0001raw\u0001';
type Mutation =
  | { op: 'replace'; place: number; raw: string }
  | { op: 'remove'; place: number }
  | { op: 'add'; place: number; key: string; raw: string }
  | { op: 'wrap'; place: number; how: 'array' | 'object' | 'string' };

/** The valid body as JSON text with one mutation made; a key such as __proto__ is added as an own property, as JSON.parse makes it. */
function mutated(valid: Json, m: Mutation): string {
  const root = JSON.parse(JSON.stringify(valid)) as Json;
  const places = [[], ...placesIn(root)];
  const place = places[m.place % places.length]!;
  const parentOf = (path: (string | number)[]) => path.slice(0, -1).reduce<any>((node, key) => node[key], root);
  const get = (path: (string | number)[]) => path.reduce<any>((node, key) => node[key], root);
  const own = (obj: object, key: string, value: unknown) => Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  let raw = '';
  let result: Json = root;
  const replace = (value: Json) => {
    if (place.length === 0) result = value;
    else own(parentOf(place), String(place.at(-1)), value);
  };
  if (m.op === 'replace') {
    raw = m.raw;
    replace(MARK);
  } else if (m.op === 'remove') {
    if (place.length === 0) return '';
    const parent = parentOf(place);
    if (Array.isArray(parent)) parent.splice(Number(place.at(-1)), 1);
    else delete parent[place.at(-1)!];
  } else if (m.op === 'add') {
    const node = get(place);
    const target = node && typeof node === 'object' && !Array.isArray(node) ? node : root;
    raw = m.raw;
    if (target && typeof target === 'object') own(target, m.key, MARK);
  } else {
    const node = get(place) as Json;
    replace(m.how === 'array' ? [node] : m.how === 'object' ? { value: node } : JSON.stringify(node));
  }
  return JSON.stringify(result).replace(JSON.stringify(MARK), raw);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), place: fc.nat(), raw: hostileJson }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), place: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), place: fc.nat(), key: hostileKey, raw: hostileJson }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), place: fc.nat(), how: fc.constantFrom('array' as const, 'object' as const, 'string' as const) }) },
);

const BAD_JSON = ['{', '{"a":', 'nul', '[1,]', "{'a':1}", '\u0000', '{"a":1}garbage', '{"a":1,"a":', '"str"', '1', 'true', '\ufeff{}', '{"\\ud800":1}', '{"a":"\\x"}', '{"__proto__":'];
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

/** JSON bodies for a route: mostly the valid body mutated, else arbitrary JSON, bad JSON, or the valid body sent wrongly. */
function jsonBody(valid: Json, nearValid = true): fc.Arbitrary<Body> {
  const text = JSON.stringify(valid);
  const json = (t: string): Body => ({ text: t, contentType: 'application/json' });
  const hostile = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => json(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2, withNullPrototype: true, withObjectString: true }).map((v) => json(JSON.stringify(v) ?? 'undefined')) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_JSON, deep(10_000), `{"a":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`).map(json) },
    { weight: 1, arbitrary: hostileJson.map(json) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Body>(
        {},
        { text: '', contentType: 'application/json' },
        { text, contentType: 'text/plain' },
        { text, contentType: 'application/x-www-form-urlencoded' },
        { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
        { text, contentType: 'multipart/form-data; boundary=x' },
        { text, contentType: 'application/json; charset=utf-7' },
        { text, contentType: 'application/json; charset=utf-16' },
        { text, contentType: 'application/json; charset=iso-8859-1' },
        { text, contentType: 'application/json', headers: { 'content-encoding': 'gzip' } },
        { text, contentType: 'application/json', headers: { 'content-encoding': 'deflate' } },
        { text, contentType: 'application/json', headers: { 'content-encoding': 'br' } },
        { text, contentType: 'application/json', headers: { 'content-encoding': 'compress' } },
        { text: gzipSync(Buffer.from('{"a":')), contentType: 'application/json', headers: { 'content-encoding': 'gzip' } },
        { text: gzipSync(Buffer.alloc(2_000_000)), contentType: 'application/json', headers: { 'content-encoding': 'gzip' } },
        { text: JSON.stringify({ pad: 'x'.repeat(110 * 1024) }), contentType: 'application/json' },
        { text: `[${text}]`, contentType: 'application/json' },
        { text: JSON.stringify(text), contentType: 'application/json' },
      ),
    },
  );
  // The valid body itself too: with a hostile path or query it reaches the journey's own checks.
  return nearValid
    ? fc.oneof({ weight: 5, arbitrary: mutation.map((m) => json(mutated(valid, m))) }, { weight: 2, arbitrary: fc.constant(json(text)) }, { weight: 3, arbitrary: hostile })
    : hostile;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests, answers and what counts as a good answer.

interface FuzzRequest {
  method: string;
  path: string;
  query?: string;
  body?: Body;
  /** The Authorization header; the all-scopes key unless given (null: none). */
  authorization?: string | null;
  /** The customer whose journey the request would change, were it accepted. */
  changes?: string;
  /** Its credential (key, link, signature) is forged: it must be refused whatever else it carries. */
  forged?: boolean;
}
interface Answer {
  status: number;
  text: string;
  json?: any;
  type: string;
}

const stats = { sent: 0, byStatus: {} as Record<string, number>, byRoute: {} as Record<string, Record<number, number>>, slowest: { ms: 0, what: '' } };
/** Customers whose journeys an accepted (2xx) request may have changed, journeys the fuzzer started, maps it published. */
const accepted = { changed: new Set<string>(), cancelled: new Set<string>(), started: new Set<string>(), published: new Set<string>() };

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One request as it is given, through node:http rather than fetch: fetch would normalise the path ("..", "%2e")
 * and refuse some header values (a trailing space) before they reach the API.
 */
async function send(req: FuzzRequest): Promise<Answer> {
  const path = `${req.path}${req.query ? `?${req.query}` : ''}`;
  const authorization = req.authorization === undefined ? stack.headers.authorization! : req.authorization;
  const body = req.body?.text === undefined ? undefined : Buffer.from(req.body.text);
  const headers: Record<string, string> = {
    ...(authorization === null ? {} : { authorization }),
    ...(req.body?.contentType ? { 'content-type': req.body.contentType } : {}),
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...req.body?.headers,
  };
  const started = Date.now();
  const answer = await new Promise<Answer>((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: Number(new URL(stack.apiUrl).port), method: req.method, path, headers, agent, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const type = String(res.headers['content-type'] ?? '');
        resolve({ status: res.statusCode!, text, type, json: type.includes('application/json') && text ? JSON.parse(text) : undefined });
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 30 s')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  const ms = Date.now() - started;
  stats.sent += 1;
  stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
  if (ms > stats.slowest.ms) stats.slowest = { ms, what: `${req.method} ${path.slice(0, 120)}` };
  return answer;
}

/** A file path of the engine, a stack frame or a source position: none of them belongs in an answer. */
const INTERNALS = new RegExp(`${PROJECT_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|node_modules|\\n\\s+at \\S|\\.ts:\\d+`);

/** What is wrong with an answer, if anything. */
function problemWith(req: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (req.method === 'HEAD') return undefined; // no body to look at
  if (INTERNALS.test(answer.text)) return 'shows the engine\'s internals (a file path or a stack)';
  if (answer.status === 400) {
    // The unsubscribe pages are for people: a bad link is a page that says so (a one-click POST gets JSON).
    if (req.path.startsWith('/unsubscribe/') && answer.type.includes('text/html')) {
      return answer.text.includes('is not an unsubscribe link this engine made') ? undefined : 'a 400 page that does not say what is wrong';
    }
    const issues = answer.json?.issues;
    if (!Array.isArray(issues) || issues.length === 0) return 'a 400 that names no field';
    const unnamed = issues.find((i: any) => typeof i?.field !== 'string' || i.field === '' || typeof i.message !== 'string' || i.message === '');
    if (unnamed) return `a 400 with an issue that names no field or says nothing: ${JSON.stringify(unnamed)}`;
  }
  if (answer.status >= 200 && answer.status < 300 && req.forged) return 'accepted with a forged key, link or signature';
  return undefined;
}

/** Records what an accepted request may have changed. */
function recordAccepted(route: string, req: FuzzRequest, answer: Answer): void {
  if (answer.status < 200 || answer.status >= 300) return;
  if (route === 'POST /v1/purchases') {
    const customerId = String(answer.json.workflowId).replace(/^journey-/, '');
    if (answer.status === 201) accepted.started.add(customerId);
    // A purchase of a customer with a journey finds that journey and changes nothing.
    else if (answer.json.created !== false) throw new Error(`a repeated purchase answered ${answer.status} ${answer.text}`);
  }
  if (route === 'POST /v1/maps') accepted.published.add(`${answer.json.id}@${answer.json.version}`);
  // A bulk operation the fuzzer starts must select nothing: it would act on journeys after the answer.
  if (route === 'POST /v1/bulk-operations' && answer.json.total !== 0) throw new Error(`a fuzzed bulk operation selected journeys: ${req.body?.text?.toString().slice(0, 300)}`);
  if (route === 'POST /v1/migrations') {
    for (const result of answer.json.results ?? []) if (result.outcome === 'migrated') accepted.changed.add(result.customerId);
  }
  // An inbound webhook names its customer in the body; it answers the journey it moved.
  if (route.startsWith('POST /v1/inbound/') && typeof answer.json?.workflowId === 'string') accepted.changed.add(answer.json.workflowId.replace(/^journey-/, ''));
  if (req.changes) accepted.changed.add(req.changes);
  if (route === 'POST /v1/customers/:customerId/cancel' && req.changes) accepted.cancelled.add(req.changes);
}

/** Sends the route's requests, numRuns of them, and fails on the first bad answer (fast-check shrinks it and prints the seed). */
async function fuzz(route: string, requests: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (req) => {
      const answer = await send(req);
      const counts = (stats.byRoute[route] ??= {});
      counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      if (process.env.FUZZ_DEBUG === 'all') console.log(`${route} ${req.method} ${req.path.slice(0, 150)}?${(req.query ?? '').slice(0, 100)} ${String(req.body?.text ?? '').slice(0, 200)}\n  → ${answer.status} ${answer.text.slice(0, 300)}`);
      recordAccepted(route, req, answer);
      const problem = problemWith(req, answer);
      if (problem) {
        const shown = `${req.method} ${req.path.slice(0, 200)}${req.query ? `?${req.query.slice(0, 200)}` : ''} ${String(req.body?.text ?? '').slice(0, 300)}`;
        throw new Error(`${route}: ${problem}\n  request: ${shown}\n  answer: ${answer.status} ${answer.text.slice(0, 500)}`);
      }
    }),
    { seed: SEED, numRuns: Math.ceil(numRuns * SCALE) },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The stack, the journeys to protect and what they look like before the fuzzing.

interface Known {
  bookingId: string;
  taskId: string;
  mailId: string;
  token: string;
  /** A payload as the engine encrypts it (from the codec endpoint). */
  encrypted: Json;
  journeys: Record<string, unknown>;
  suppressions: unknown;
  maps: string[];
}
let known: Known;
let fuzzStarted = 0;

const journeyOf = async (customerId: string) => (await stack.get(`/v1/customers/${customerId}/journey`)).body;

/** Waits until a journey has done what was due at its start and reads the same twice in a row. */
async function settled(customerId: string): Promise<any> {
  let before = '';
  return eventually(async () => {
    const state = await journeyOf(customerId);
    const now = JSON.stringify(state);
    const due = state.touchpoints.filter((t: any) => t.status === 'pending' && Date.parse(t.dueAt) <= Date.now());
    const same = now === before;
    before = now;
    if (due.length > 0 || !same) throw new Error(`journey ${customerId} is still busy: ${due.map((t: any) => t.key).join(', ') || 'changing'}`);
    return state;
  }, 60_000, 1_000);
}

beforeAll(async () => {
  await stack.startAll();
  const now = Date.now();
  for (const [customerId, daysAgo] of Object.entries(BOUGHT_DAYS_AGO)) {
    const boughtAt = now - daysAgo * DAY_MS;
    const answer = await stack.post('/v1/purchases', purchaseBody(customerId, { purchaseDate: new Date(boughtAt).toISOString(), renewalDate: new Date(boughtAt + 365 * DAY_MS).toISOString() }));
    expect([customerId, answer.status]).toEqual([customerId, 201]);
  }
  // A version to migrate to, so migrations reach the journeys' own checks.
  expect((await stack.post('/v1/maps', { ...(validMap as object), version: 2 })).status).toBe(201);
  // The bases of the near-valid bodies are valid: a mutation of one is one step from being accepted.
  expect((await stack.post('/v1/purchases', validPurchase('fz-fresh'))).body).toMatchObject({ created: false });
  expect((await stack.post('/v1/customers/fz-fresh/events', validEvent)).status).toBe(202);
  expect((await stack.post('/v1/maps', validMap)).status).toBe(409); // valid, but not newer than version 2
  expect((await stack.post('/v1/migrations', validMigration)).body).toMatchObject({ wouldMigrate: 1 });

  const encoded = await stack.post('/v1/codec/encode', { payloads: [plainPayload] });
  expect(encoded.status).toBe(200);
  expect((await stack.post('/v1/codec/decode', encoded.body)).body).toEqual({ payloads: [plainPayload] });

  const journeys: Record<string, any> = {};
  for (const customerId of CUSTOMERS) journeys[customerId] = await settled(customerId);
  const mail = (await stack.get('/v1/mail')).body.mail;
  known = {
    bookingId: journeys['fz-booked'].bookings[0].bookingId,
    taskId: journeys['fz-tasked'].tasks[0].taskId,
    mailId: mail[0]?.id ?? '1764639012000-abcdef',
    token: unsubscribeToken(UNSUBSCRIBE_SECRET, { customerId: 'fz-fresh', email: 'jo@fz-fresh.example' }),
    encrypted: encoded.body.payloads[0],
    journeys,
    suppressions: (await stack.get('/v1/suppressions')).body,
    maps: await publishedMaps(),
  };
  fuzzStarted = Date.now();
}, 180_000);

afterAll(async () => {
  console.log(
    `route fuzz (seed ${SEED}): ${stats.sent} requests in ${((Date.now() - fuzzStarted) / 1000).toFixed(1)} s; answers ${JSON.stringify(stats.byStatus)}; ` +
      `slowest ${stats.slowest.ms} ms (${stats.slowest.what}); journeys changed by accepted requests: ${[...accepted.changed].join(', ') || 'none'}; ` +
      `started: ${[...accepted.started].join(', ') || 'none'}; maps published: ${[...accepted.published].join(', ') || 'none'}` +
      (process.env.FUZZ_DEBUG ? `\n${Object.entries(stats.byRoute).map(([route, counts]) => `  ${route}: ${JSON.stringify(counts)}`).join('\n')}` : ''),
  );
  await stack.stopAll();
}, 60_000);

async function publishedMaps(): Promise<string[]> {
  return ((await stack.get('/v1/maps')).body.maps as { id: string; version: number }[]).map((m) => `${m.id}@${m.version}`).sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Valid bodies, the bases of the near-valid ones.

function validPurchase(customerId: string): Json {
  return {
    ...purchaseBody(customerId),
    mapId: 'default',
    owners: { successManager: { name: 'Pat Doe', email: 'pat.doe@success.example', manager: { name: 'Jordan Lee', email: 'jordan.lee@success.example' } } },
    attributes: { region: 'emea', seats: 25, trial: false },
  };
}
const validEvent: Json = { eventId: 'fz-event-1', type: 'feature.used', feature: 'reports', occurredAt: new Date().toISOString(), seats: 3, trial: false };
const validOwner: Json = { name: 'Pat Doe', email: 'pat.doe@success.example', manager: { name: 'Jordan Lee', email: 'jordan.lee@success.example' } };
const validCancel: Json = { reason: 'the customer asked to move it' };
const validReschedule: Json = { startsAt: new Date(Date.now() + 3 * DAY_MS).toISOString().replace(/T.*/, 'T15:00:00Z') };
const validCompletion: Json = { outcome: 'called the contact', notes: 'they log in tomorrow' };
const validMap = JSON.parse(JSON.stringify(defaultMap)) as Json;
/** A dry run onto default@2 (published first) for one journey: a single mutation can make it real, or widen it, not both. */
const validMigration: Json = {
  mapId: 'default',
  toVersion: 2,
  dryRun: true,
  query: 'CustomerId = "fz-fresh"',
  stageMapping: { onboarding: 'onboarding' },
  milestoneMapping: { 'first-login': 'first-login' },
};

/** One order of each action, each for the journeys of a customer who has none: accepted (202), acting on nothing. */
const nobody = 'CustomerId = "fz-nobody"';
const validBulkOrders: Json[] = [
  { action: 'pause', query: nobody, reason: 'fuzzing a bulk pause', by: 'ops@success.example' },
  { action: 'resume', query: nobody },
  { action: 'cancel', query: nobody, reason: 'fuzzing a bulk cancel' },
  { action: 'reassign', query: nobody, reassign: { role: 'successManager', ownerId: 'alex.chen@success.example' } },
  { action: 'migrate', query: nobody, migrate: { mapId: 'default', toVersion: 2, stageMapping: { onboarding: 'onboarding' } } },
];

// ---------------------------------------------------------------------------------------------------------------
// Each route's requests.

const get = (path: fc.Arbitrary<string>, query: fc.Arbitrary<string> = queryString(['x', 'a'])) =>
  fc.record({ method: fc.constant('GET'), path, query });

/**
 * A customer id in a path: a protected journey (which may then take the near-valid body), an unknown customer,
 * or a hostile segment. The control journey gets hostile bodies only.
 */
function customerRequests(
  method: string,
  path: (customer: string) => string,
  nearValid: (customer: Customer) => fc.Arbitrary<Body>,
  customers: Customer[] = CUSTOMERS.filter((c) => c !== CONTROL),
): fc.Arbitrary<FuzzRequest> {
  const hostileBody = jsonBody({ a: 1 }, false);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...customers).chain((c) => nearValid(c).map((body) => ({ method, path: path(c), body, changes: c }))) },
    { weight: 2, arbitrary: hostileBody.map((body) => ({ method, path: path(CONTROL), body, changes: CONTROL })) },
    { weight: 1, arbitrary: nearValid('fz-fresh').map((body) => ({ method, path: path('fz-nobody'), body })) },
    { weight: 2, arbitrary: fc.tuple(hostileSegment, nearValid('fz-fresh')).map(([segment, body]) => ({ method, path: path(segment), body })) },
  );
}

/** A valid token changed so it no longer verifies. */
const forgedToken = (token: string) =>
  fc
    .oneof(
      fc.tuple(fc.nat(), fc.constantFrom('A', 'b', '0', '-', '_', '.', '%2E', '%00')).map(([i, c]) => token.slice(0, i % token.length) + c + token.slice((i % token.length) + 1)),
      fc.nat().map((i) => token.slice(0, i % token.length)),
      fc.constantFrom(`${token}.x`, `${token}=`, `${token.split('.')[0]}.`, `.${token.split('.')[1]}`, token.toUpperCase(), `${token}%00`, token.replace('.', '%2E')),
      fc.tuple(hostileString, fc.constantFrom(token.split('.')[1]!)).map(([s, sig]) => `${Buffer.from(JSON.stringify([s, 'a@b.example'])).toString('base64url')}.${sig}`),
      hostileSegment,
    )
    // As the router decodes it: "%2E" for a dot is the same token.
    .filter((t) => {
      try {
        return decodeURIComponent(t) !== token;
      } catch {
        return true;
      }
    });

/** An analytics route with its filter: the map's id, or hostile values for any of its fields. */
const analytics = (route: string, extra: Record<string, string[]> = {}) =>
  get(
    fc.constant(`/v1/analytics/${route}`),
    queryString(['mapId', 'mapVersion', 'segment', 'plan', 'cohort', 'from', 'to', ...Object.keys(extra)], {
      mapId: ['default', 'nope'],
      mapVersion: ['1', '0'],
      segment: ['scaling'],
      plan: ['growth'],
      cohort: ['2026-03', '2026-13'],
      from: ['2026-01-01', '2026-02-30'],
      to: ['2026-12-31T23:59:59Z'],
      ...extra,
    }),
  );

const FUZZERS: Record<string, { runs: number; requests: () => fc.Arbitrary<FuzzRequest> }> = {
  'GET /healthz': { runs: 10, requests: () => get(fc.constant('/healthz')) },
  'GET /readyz': { runs: 10, requests: () => get(fc.constant('/readyz')) },
  'GET /metrics': { runs: 10, requests: () => get(fc.constant('/metrics')) },
  'GET /openapi.json': { runs: 10, requests: () => get(fc.constant('/openapi.json')).map((req) => ({ ...req, authorization: null })) },
  'GET /docs': { runs: 10, requests: () => get(fc.constantFrom('/docs', '/docs/')).map((req) => ({ ...req, authorization: null })) },
  'GET /v1/console/settings': { runs: 10, requests: () => get(fc.constant('/v1/console/settings')) },
  'POST /v1/purchases': {
    runs: 120,
    requests: () =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...CUSTOMERS).chain((c) => jsonBody(validPurchase(c))) },
        // Near-valid for a new customer: demo clocks are off, maps and roles must exist, terms must be sane.
        { weight: 1, arbitrary: fc.constantFrom({ demoClock: { secondsPerDay: 2 } }, { mapId: 'constructor' }, { mapId: '__proto__' }, { segment: 'toString', mapId: undefined }, { owners: { constructor: validOwner } }, { owners: { noSuchRole: validOwner } }, { renewalDate: '2020-01-01' }).map((o) => ({ text: JSON.stringify({ ...(validPurchase('fz-brand-new') as object), ...o }), contentType: 'application/json' })) },
      ).map((body) => ({ method: 'POST', path: '/v1/purchases', body })),
  },
  'POST /v1/customers/:customerId/events': {
    runs: 90,
    requests: () => customerRequests('POST', (c) => `/v1/customers/${c}/events`, () => jsonBody(validEvent), ['fz-fresh']),
  },
  'GET /v1/customers/:customerId/journey': {
    runs: 50,
    requests: () => get(fc.oneof(fc.constantFrom(...CUSTOMERS, 'fz-nobody', 'maps'), hostileSegment).map((c) => `/v1/customers/${c}/journey`)),
  },
  'GET /v1/customers/:customerId/timeline': {
    runs: 30,
    requests: () => get(fc.oneof(fc.constantFrom(...CUSTOMERS, 'fz-nobody', 'maps'), hostileSegment).map((c) => `/v1/customers/${c}/timeline`)),
  },
  'PUT /v1/customers/:customerId/owners/:role': {
    runs: 80,
    requests: () =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(customerRequests('PUT', (c) => `/v1/customers/${c}/owners/`, () => jsonBody(validOwner)), fc.oneof({ weight: 3, arbitrary: fc.constantFrom('successManager', 'accountManager') }, { weight: 2, arbitrary: fc.constantFrom('noSuchRole', ...PROTO_NAMES) }, { weight: 1, arbitrary: hostileSegment }))
            .map(([req, role]) => ({ ...req, path: `${req.path}${role}` })),
        },
        // A sound owner for a role the control journey lacks: its own check must refuse it.
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom('noSuchRole', ...ROLE_SHAPED_PROTO_NAMES), jsonBody(validOwner))
            .map(([role, body]) => ({ method: 'PUT', path: `/v1/customers/${CONTROL}/owners/${role}`, body, changes: CONTROL })),
        },
      ),
  },
  'POST /v1/customers/:customerId/bookings/:bookingId/:change': {
    runs: 90,
    requests: () => {
      const change = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('cancel', 'reschedule') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('CANCEL', 'delete', 'constructor'), hostileSegment) });
      const body = (kind: string) => jsonBody(kind === 'reschedule' ? validReschedule : validCancel);
      return fc.oneof(
        {
          weight: 2,
          arbitrary: change.chain((kind) => body(kind).map((b) => ({ method: 'POST', path: `/v1/customers/fz-booked/bookings/${known.bookingId}/${kind}`, body: b, changes: 'fz-booked' }))),
        },
        // Sound changes of bookings the control journey does not have (another journey's among them).
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(known.bookingId, 'booking-0000000000000000', ...PROTO_NAMES), fc.constantFrom('cancel', 'reschedule'))
            .chain(([id, kind]) => body(kind).map((b) => ({ method: 'POST', path: `/v1/customers/${CONTROL}/bookings/${id}/${kind}`, body: b, changes: CONTROL }))),
        },
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.oneof({ weight: 3, arbitrary: fc.constant(known.bookingId) }, { weight: 1, arbitrary: fc.constantFrom('booking-0000000000000000', ...PROTO_NAMES) }, { weight: 1, arbitrary: hostileSegment }), change)
            .chain(([booking, kind]) => customerRequests('POST', (c) => `/v1/customers/${c}/bookings/${booking}/${kind}`, () => body(kind), ['fz-booked', 'fz-fresh'])),
        },
      );
    },
  },
  // fz-tasked is paused and resumed (and cancelled last of all, below): its task stays completable meanwhile.
  'POST /v1/customers/:customerId/pause': {
    runs: 40,
    requests: () => customerRequests('POST', (c) => `/v1/customers/${c}/pause`, () => jsonBody({ reason: 'fuzzing a pause', by: 'ops@success.example' }), ['fz-tasked']),
  },
  'POST /v1/customers/:customerId/resume': {
    runs: 40,
    requests: () => customerRequests('POST', (c) => `/v1/customers/${c}/resume`, () => jsonBody({ by: 'ops@success.example' }), ['fz-tasked']),
  },
  'GET /v1/tasks': {
    runs: 50,
    requests: () => get(fc.constant('/v1/tasks'), queryString(['owner', 'status'], { owner: ['sam.rivera@success.example', 'nobody@x.example'], status: ['open', 'done', 'all'] })),
  },
  'POST /v1/tasks/:taskId/complete': {
    runs: 80,
    requests: () =>
      fc.oneof(
        { weight: 3, arbitrary: jsonBody(validCompletion).map((body) => ({ method: 'POST', path: `/v1/tasks/${known.taskId}/complete`, body, changes: 'fz-tasked' })) },
        { weight: 1, arbitrary: jsonBody({ a: 1 }, false).map((body) => ({ method: 'POST', path: `/v1/tasks/task-${CONTROL}-0123456789ab/complete`, body, changes: CONTROL })) },
        {
          weight: 3,
          arbitrary: fc
            .tuple(
              fc.oneof(
                fc.constantFrom(`task-${CONTROL}-0123456789ab`, 'task-fz-nobody-0123456789ab', 'task--0123456789ab', 'task-maps-0123456789ab', `${known.taskId}0`, known.taskId.toUpperCase(), ...PROTO_NAMES),
                hostileString.map((s) => `task-${enc(s)}-0123456789ab`),
                hostileSegment,
              ),
              jsonBody(validCompletion),
            )
            .map(([taskId, body]) => ({ method: 'POST', path: `/v1/tasks/${taskId}/complete`, body, changes: 'fz-tasked' })),
        },
      ),
  },
  'GET /v1/maps': { runs: 15, requests: () => get(fc.constant('/v1/maps')) },
  'GET /v1/maps/:mapId/diagram.svg': {
    runs: 30,
    requests: () =>
      get(
        fc.oneof(fc.constantFrom('default', 'tech-touch', 'nope', ...PROTO_NAMES), hostileSegment).map((id) => `/v1/maps/${id}/diagram.svg`),
        queryString(['version'], { version: ['1', '2', '0', '-1', '1.5', 'NaN', ''] }),
      ),
  },
  'GET /v1/maps/:mapId': {
    runs: 50,
    requests: () =>
      get(
        fc.oneof(fc.constantFrom('default', 'enterprise', 'nope', ...PROTO_NAMES), hostileSegment).map((id) => `/v1/maps/${id}`),
        queryString(['version'], { version: ['1', '2', '0', '-1', '1.5', '1e309', 'NaN', ' 1', '0x1', '', '99999999999999999999'] }),
      ),
  },
  'POST /v1/maps': {
    runs: 120,
    requests: () =>
      fc
        .oneof(
          { weight: 3, arbitrary: jsonBody(validMap) },
          // A map of its own, versions 1-4: some are published (201), some are not newer than the last (409).
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).chain((version) => jsonBody({ ...(validMap as object), id: 'fz-map', segments: ['fz-segment'], version })) },
        )
        .map((body) => ({ method: 'POST', path: '/v1/maps', body })),
  },
  'POST /v1/migrations': {
    runs: 90,
    requests: () =>
      fc
        .oneof(
          { weight: 3, arbitrary: jsonBody(validMigration) },
          // The visibility query is the caller's own text: what Temporal cannot parse must be the caller's 400.
          {
            weight: 1,
            arbitrary: fc
              .oneof(fc.constantFrom('nonsense ((', ') OR (1=1', 'CustomerSegment = "a\u0000"', 'CustomerSegment = "\ud800"', 'ORDER BY x', 'CustomerId LIKE "%"', `CustomerSegment = "${'x'.repeat(1_990)}"`), hostileString)
              .map((query) => ({ text: JSON.stringify({ ...(validMigration as object), query }), contentType: 'application/json' })),
          },
        )
        .map((body) => ({ method: 'POST', path: '/v1/migrations', body })),
  },
  // Valid orders select no journey (fz-nobody has none): a mutation reaches the order's checks, not the protected journeys.
  'POST /v1/bulk-operations': {
    runs: 90,
    requests: () =>
      fc
        .oneof(
          { weight: 3, arbitrary: fc.constantFrom(...validBulkOrders).chain((order) => jsonBody(order)) },
          {
            weight: 1,
            arbitrary: fc
              .oneof(fc.constantFrom('nonsense ((', ') OR (1=1', 'CustomerId = "x") OR (WorkflowType != "x"', 'CustomerSegment = "a\\"', 'ORDER BY x', 'CustomerId = "fz-nobody" ORDER BY StartTime', 'NoSuchAttribute = 1'), hostileString)
              .map((query) => ({ text: JSON.stringify({ ...(validBulkOrders[0] as object), query }), contentType: 'application/json' })),
          },
        )
        .map((body) => ({ method: 'POST', path: '/v1/bulk-operations', body })),
  },
  'GET /v1/bulk-operations': { runs: 20, requests: () => get(fc.constant('/v1/bulk-operations'), queryString(['limit'], { limit: ['1', '50', '0', '201', '-1', '1.5', 'x'] })) },
  'GET /v1/bulk-operations/:operationId': {
    runs: 40,
    requests: () => get(fc.oneof(fc.constantFrom('bulk-00000000-0000-0000-0000-000000000000', 'journey-fz-fresh', 'journey-maps', ...PROTO_NAMES), hostileSegment).map((id) => `/v1/bulk-operations/${id}`)),
  },
  'GET /v1/suppressions': { runs: 10, requests: () => get(fc.constant('/v1/suppressions')) },
  'GET /v1/journeys': {
    runs: 70,
    requests: () =>
      get(
        fc.constant('/v1/journeys'),
        queryString(['status', 'stage', 'segment', 'owner', 'atRisk'], { status: ['running', 'all'], stage: ['onboarding'], segment: ['scaling'], owner: ['sam.rivera@success.example'], atRisk: ['true', 'false'] }),
      ),
  },
  'GET /v1/analytics/funnel': { runs: 30, requests: () => analytics('funnel') },
  'GET /v1/analytics/milestones': { runs: 30, requests: () => analytics('milestones') },
  'GET /v1/analytics/touchpoints': { runs: 30, requests: () => analytics('touchpoints') },
  'GET /v1/analytics/outcomes': { runs: 30, requests: () => analytics('outcomes') },
  'GET /v1/analytics/touchpoint-effect': { runs: 40, requests: () => analytics('touchpoint-effect', { milestone: ['first-login'], touchpoint: ['welcome-email'] }) },
  'GET /v1/analytics/journeys': { runs: 30, requests: () => analytics('journeys', { stage: ['onboarding', ''], milestone: ['first-login'] }) },
  'GET /v1/analytics/experiment': { runs: 30, requests: () => analytics('experiment', { experiment: ['onboarding-training'], milestone: ['first-login'], control: ['control'] }) },
  'GET /v1/mail': { runs: 40, requests: () => get(fc.constant('/v1/mail'), queryString(['to', 'journey'], { to: ['jo@fz-fresh.example'], journey: ['journey-fz-fresh'] })) },
  'GET /v1/mail/:id.eml': {
    runs: 40,
    requests: () => get(fc.oneof(fc.constantFrom(known.mailId, `${known.mailId}x`, '..%2F..%2Fpackage', ...PROTO_NAMES), hostileSegment).map((id) => `/v1/mail/${id}.eml`)),
  },
  'GET /unsubscribe/:token': { runs: 40, requests: () => get(forgedToken(known.token).map((t) => `/unsubscribe/${t}`)).map((req) => ({ ...req, authorization: null, forged: true })) },
  'POST /unsubscribe/:token': {
    runs: 50,
    requests: () =>
      fc.record({
        method: fc.constant('POST'),
        path: forgedToken(known.token).map((t) => `/unsubscribe/${t}`),
        authorization: fc.constant(null),
        forged: fc.constant(true),
        body: fc.oneof(
          fc.constantFrom<Body>(
            { text: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' },
            { text: 'confirm=yes', contentType: 'application/x-www-form-urlencoded' },
            { text: `List-Unsubscribe=${'x'.repeat(2_000)}`, contentType: 'application/x-www-form-urlencoded' },
            { text: 'List-Unsubscribe=One-Click&List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' },
            { text: 'List-Unsubscribe[]=One-Click', contentType: 'application/x-www-form-urlencoded' },
            { text: '%', contentType: 'application/x-www-form-urlencoded' },
            { text: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded; charset=utf-7' },
          ),
          jsonBody({ 'List-Unsubscribe': 'One-Click' }),
        ),
      }),
  },
  'POST /v1/inbound/events': { runs: 50, requests: () => inbound('events') },
  'POST /v1/inbound/segment': { runs: 50, requests: () => inbound('segment') },
  'POST /v1/inbound/stripe': { runs: 50, requests: () => inbound('stripe') },
  'POST /v1/codec/:operation': {
    runs: 50,
    requests: () =>
      fc
        .oneof({ weight: 4, arbitrary: fc.constantFrom('encode', 'decode') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('DECODE', ...PROTO_NAMES), hostileSegment) })
        .chain((operation) => jsonBody(operation === 'encode' ? { payloads: [plainPayload] } : { payloads: [known.encrypted, plainPayload] }).map((body) => ({ method: 'POST', path: `/v1/codec/${operation}`, body })))
        // Its own key check (not allow()): no key, or a forged one, is a 401.
        .chain((req) =>
          fc.oneof(
            { weight: 4, arbitrary: fc.constant(req) },
            { weight: 1, arbitrary: fc.oneof(fc.constant(null), forgedKey().map((key) => `Bearer ${key}`)).map((authorization) => ({ ...req, authorization, forged: true })) },
          ),
        ),
  },
  'POST /v1/codec/:key/:operation': {
    runs: 40,
    requests: () =>
      fc
        .tuple(
          fc.oneof({ weight: 2, arbitrary: fc.constant(apiKey()) }, { weight: 2, arbitrary: forgedKey().map(enc) }, { weight: 1, arbitrary: hostileSegment }),
          fc.constantFrom('encode', 'decode', 'x'),
          jsonBody({ payloads: [known.encrypted] }),
        )
        .map(([key, operation, body]) => ({ method: 'POST', path: `/v1/codec/${key}/${operation}`, body, authorization: null, forged: key !== apiKey() })),
  },
  'OPTIONS /v1/codec/:operation': { runs: 15, requests: () => preflight(fc.constantFrom('/v1/codec/decode', '/v1/codec/encode', '/v1/codec/%00', '/v1/codec/constructor')) },
  'OPTIONS /v1/codec/:key/:operation': { runs: 15, requests: () => preflight(fc.tuple(hostileSegment, fc.constantFrom('decode', 'x')).map(([k, o]) => `/v1/codec/${k}/${o}`)) },
  // Last: a cancelled journey answers every later request with a conflict.
  'POST /v1/customers/:customerId/cancel': {
    runs: 40,
    requests: () => customerRequests('POST', (c) => `/v1/customers/${c}/cancel`, () => jsonBody({ reason: 'fuzzing a cancellation' }), ['fz-tasked']),
  },
};

const apiKey = () => stack.headers.authorization!.replace(/^Bearer /, '');
/** A key one typo (or one trick) away from the real one. */
const forgedKey = () =>
  fc
    .oneof(
      fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '0', '_', '-')).map(([i, c]) => apiKey().slice(0, i % apiKey().length) + c + apiKey().slice((i % apiKey().length) + 1)),
      fc.nat().map((i) => apiKey().slice(0, i % apiKey().length)),
      fc.constantFrom(`${apiKey()}x`, apiKey().toUpperCase(), 'cjk_', 'cjk__', `cjk_${'a'.repeat(10_000)}`, ...PROTO_NAMES),
    )
    .filter((key) => key !== apiKey());

/** The Temporal UI's preflight, from its origin or another. */
const preflight = (path: fc.Arbitrary<string>) =>
  fc.record({
    method: fc.constant('OPTIONS'),
    path,
    authorization: fc.constant(null),
    body: fc.constantFrom<Body>({}, { headers: { origin: new URL(TEMPORAL_UI_URL).origin, 'access-control-request-method': 'POST' } }, { headers: { origin: 'null' } }, { headers: { origin: 'http://attacker.example' } }),
  });

const b64 = (text: string) => Buffer.from(text).toString('base64');
const plainPayload: Json = { metadata: { encoding: b64('json/plain') }, data: b64('{"customerId":"fz-fresh"}') };
const validInbound = (): Record<'events' | 'segment' | 'stripe', Json> => ({
  events: { customerId: 'fz-fresh', event: { eventId: 'fz-inbound-1', type: 'feature.used', feature: 'exports' } },
  segment: {
    type: 'track',
    event: 'Report Created',
    messageId: 'fz-segment-1',
    timestamp: new Date().toISOString(),
    userId: 'user-1',
    properties: { customerId: 'fz-fresh', plan: 'pro', nested: { a: 1 } },
    context: { groupId: 'fz-fresh' },
  },
  stripe: { id: 'evt_fz_1', type: 'invoice.paid', created: Math.floor(Date.now() / 1000), data: { object: { id: 'in_1', object: 'invoice', metadata: { customerId: 'fz-fresh', seats: 3 } } } },
});

/** A signed webhook (signed over the bytes as sent), or one signed wrongly, late, or not at all. */
function inbound(name: 'events' | 'segment' | 'stripe'): fc.Arbitrary<FuzzRequest> {
  const now = Math.floor(Date.now() / 1000);
  const signature = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ how: 'signed' as const }) },
    { weight: 1, arbitrary: fc.constant({ how: 'stale' as const }) },
    { weight: 1, arbitrary: fc.constant({ how: 'other secret' as const }) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom('', 't=1,v1=00', `t=${now},v1=${'0'.repeat(64)}`, `t=${now},v1=${'g'.repeat(64)}`, 't=,v1=', `v1=${'a'.repeat(64)}`, `t=${'9'.repeat(13)},v1=${'a'.repeat(64)}`, `t=${now},t=${now}`, ',,,', '='),
          fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 100 }),
        )
        .map((header) => ({ how: 'header' as const, header })),
    },
  );
  return fc.tuple(jsonBody(validInbound()[name]), signature).map(([body, sig]) => {
    const bytes = Buffer.from(body.text ?? '');
    const header =
      sig.how === 'signed' ? signInbound(INBOUND_SECRET, bytes)
      : sig.how === 'stale' ? signInbound(INBOUND_SECRET, bytes, now - 3_600)
      : sig.how === 'other secret' ? signInbound('not-the-inbound-secret-0123456789', bytes)
      : sig.header;
    return { method: 'POST', path: `/v1/inbound/${name}`, body: { ...body, headers: { ...body.headers, 'stripe-signature': header } }, authorization: null, forged: sig.how !== 'signed' };
  });
}

test('every route the app has is fuzzed here (a new route must get its fuzzer)', () => {
  expect(appRoutes(stack.app!)).toEqual(Object.keys(FUZZERS).sort());
});

describe('every route answers hostile input below 500, and each 400 names the field', () => {
  for (const [route, { runs, requests }] of Object.entries(FUZZERS)) {
    test(route, async () => fuzz(route, requests(), runs), 120_000);
  }

  test('hostile API keys are refused (401), never an error', async () => {
    const key = stack.headers.authorization!.replace(/^Bearer /, '');
    const header = fc.oneof(
      fc.constantFrom('', 'Bearer', 'Bearer ', 'bearer  ', `Basic ${key}`, `Bearer ${key} ${key}`, `Bearer ${key.slice(0, -1)}`, `Bearer ${key}x`, `Bearer ${key.toUpperCase()}`, 'Bearer cjk_', 'Bearer cjk__', 'Bearer cjk_%00_x', `Bearer cjk_${'a'.repeat(10_000)}`, `Bearer ${'A'.repeat(10_000)}`),
      // Any byte a header may carry (node:http refuses control characters, as a proxy would).
      fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 80 }).map((s) => `Bearer ${s}`),
      fc.constantFrom(...PROTO_NAMES).map((s) => `Bearer ${s}`),
    );
    const route = fc.constantFrom('/v1/journeys', '/v1/maps', '/v1/customers/fz-fresh/journey', '/v1/tasks?owner=sam.rivera@success.example');
    await fuzz('API keys', fc.record({ method: fc.constant('GET'), path: route, authorization: header, forged: fc.constant(true) }), 40);
  });

  test('unknown paths, other methods and the console files', async () => {
    const path = fc.oneof(
      fc.constantFrom('/', '/console.js', '/index.html', '/%00', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd', '/console.js%00', '/v1', '/v1/', '/unsubscribe', '/unsubscribe/', '/v1/maps/', '/v1/customers//journey'),
      fc.array(hostileSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      fc.tuple(fc.constantFrom(...Object.keys(FUZZERS)), hostileSegment).map(([route, segment]) => route.split(' ')[1]!.replace(/:[a-zA-Z]+/g, segment)),
    );
    const requests = fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), path, query: queryString(['x']) });
    await fuzz('any path', requests.map((req) => (['GET', 'HEAD'].includes(req.method) ? req : { ...req, body: { text: '{}', contentType: 'application/json' } })), 40);
  });
});

test('refused requests started and changed no journey', async () => {
  // Sound and simple: a journey an accepted request may have changed (a 2xx to its path, a migration that moved it)
  // is only checked to still run; every other protected journey must read exactly as before the fuzzing. The
  // control journey is sent only what must be refused, so it is always among those.
  expect(stats.sent).toBeGreaterThan(500); // after the fuzzing (tests run in the order written)
  const list = async (): Promise<string[]> => (await stack.get('/v1/journeys?status=all')).body.journeys.map((j: { customerId: string }) => j.customerId).sort();
  const expected = [...new Set([...CUSTOMERS, ...accepted.started])].sort();
  await eventually(async () => expect(await list()).toEqual(expected), 10_000);
  const untouched = CUSTOMERS.filter((c) => !accepted.changed.has(c));
  expect(untouched).toContain(CONTROL);
  for (const customerId of CUSTOMERS) {
    const state = await journeyOf(customerId);
    if (untouched.includes(customerId)) expect([customerId, state]).toEqual([customerId, known.journeys[customerId]]);
    else expect([customerId, state.status]).toEqual([customerId, accepted.cancelled.has(customerId) ? 'COMPLETED' : 'RUNNING']);
  }
  // No forged unsubscribe link was honoured, and only accepted publications added maps.
  expect((await stack.get('/v1/suppressions')).body).toEqual(known.suppressions);
  expect(await publishedMaps()).toEqual([...new Set([...known.maps, ...accepted.published])].sort());
  // The API runs in this process: no body with __proto__ or constructor.prototype reached Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
