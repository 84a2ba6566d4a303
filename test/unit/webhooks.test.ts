import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { callWebhook, type WebhookDelivery, type WebhookInput } from '../../activities/webhooks';
import { webhookDestinationProblem } from '../../src/delivery/webhook-destinations';
import {
  IDEMPOTENCY_KEY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../src/delivery/webhooks';
import { freePort } from '../helpers/eventually';
import { customerFixture } from '../helpers/fixtures';

const SECRET = 'crm-shared-secret';
// callWebhook reads only the secret and the allowed hosts (this test's receiver is on loopback).
const deps: Pick<ActivityDeps, 'webhookSecret' | 'webhookAllowedHosts'> = { webhookSecret: SECRET, webhookAllowedHosts: ['127.0.0.1'] };

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that records every request and answers with whatever `answer` says. */
let server: Server;
let received: Received[];
let answer: { status: number; body: string };
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer.status, { 'content-type': 'text/plain', location: 'http://127.0.0.1:1/elsewhere' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/journeys`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = { status: 202, body: 'accepted' };
});

afterEach(() => {
  jest.restoreAllMocks();
});

function webhookInput(overrides: Partial<WebhookInput> = {}): WebhookInput {
  return {
    key: 'journey-acme/term-1/crm-kickoff#1',
    customer: customerFixture(Date.parse('2026-11-24T10:00:00.000Z'), { owners: {} }),
    owner: { name: 'Sam Rivera', email: 'sam@journeys.test' },
    ownerRole: 'successManager',
    touchpointName: 'crm-kickoff',
    url,
    event: 'journey.kickoff',
    payload: { stage: 'onboarding', seats: 25 },
    dueAt: '2026-11-25T09:00:00.000Z',
    ...overrides,
  };
}

/** Runs callWebhook as an activity; failures are the point here, so the SDK's warnings about them stay quiet. */
function run(input: WebhookInput): Promise<WebhookDelivery> {
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return env.run<[typeof deps, WebhookInput], WebhookDelivery, typeof callWebhook>(callWebhook, deps, input);
}

/** The one header value node:http gives for a name sent once. */
function header(request: Received, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** What the receiver's verification sees for a request, as a CRM would extract it. */
function signed(request: Received) {
  return { signature: header(request, SIGNATURE_HEADER), timestamp: header(request, TIMESTAMP_HEADER), body: request.body };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the webhook to fail');
}

test('the receiver gets a signed JSON POST that verifies with the shared secret and only with it', async () => {
  const input = webhookInput();
  const delivery = await run(input);
  expect(delivery).toEqual({ url, event: 'journey.kickoff', status: 202, deliveryId: expect.stringMatching(/^whk-[0-9a-f]{16}$/) });

  expect(received).toHaveLength(1);
  const request = received[0]!;
  expect(request.method).toBe('POST');
  expect(header(request, 'content-type')).toBe('application/json');
  expect(header(request, 'user-agent')).toBe('customer-journeys-webhooks/1');
  expect(header(request, IDEMPOTENCY_KEY_HEADER)).toBe(input.key);
  expect(header(request, 'journey-event')).toBe('journey.kickoff');
  const timestamp = Number(header(request, TIMESTAMP_HEADER));
  expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
  expect(header(request, SIGNATURE_HEADER)).toMatch(/^sha256=[0-9a-f]{64}$/);

  expect(JSON.parse(request.body)).toEqual({
    id: delivery.deliveryId,
    event: 'journey.kickoff',
    occurredAt: '2026-11-25T09:00:00.000Z',
    customer: { customerId: 'acme', company: 'Acme Analytics', segment: 'scaling', plan: 'pro' },
    touchpoint: 'crm-kickoff',
    owner: { role: 'successManager', name: 'Sam Rivera', email: 'sam@journeys.test' },
    data: { stage: 'onboarding', seats: 25 },
  });

  expect(verifyWebhookSignature({ secret: SECRET, ...signed(request) })).toBe(true);
  expect(verifyWebhookSignature({ secret: 'someone-elses-secret', ...signed(request) })).toBe(false);
  const tampered = request.body.replace('"seats":25', '"seats":2500');
  expect(tampered).not.toBe(request.body);
  expect(verifyWebhookSignature({ secret: SECRET, ...signed(request), body: tampered })).toBe(false);
  // The timestamp is signed too: moving it (to replay an old request as fresh) breaks the signature.
  expect(verifyWebhookSignature({ secret: SECRET, ...signed(request), timestamp: timestamp + 1 })).toBe(false);
  expect(verifyWebhookSignature({ secret: SECRET, ...signed(request), signature: undefined })).toBe(false);
  expect(verifyWebhookSignature({ secret: SECRET, ...signed(request), timestamp: undefined })).toBe(false);
});

test('a signature is accepted within the tolerance, and rejected once stale or without a secret', () => {
  const body = '{"id":"whk-1"}';
  const timestamp = 1_800_000_000;
  const signature = signWebhook(SECRET, timestamp, body);
  const at = (nowSeconds: number, toleranceSeconds?: number) =>
    verifyWebhookSignature({ secret: SECRET, signature, timestamp: String(timestamp), body, nowSeconds, toleranceSeconds });
  expect(at(timestamp)).toBe(true);
  expect(at(timestamp + 300)).toBe(true);
  expect(at(timestamp + 301)).toBe(false);
  expect(at(timestamp - 301)).toBe(false); // from the future: a skewed or forged clock
  expect(at(timestamp + 3600, 3600)).toBe(true);
  expect(at(timestamp + 61, 60)).toBe(false);
  expect(verifyWebhookSignature({ secret: SECRET, signature, timestamp: '1.8e9', body, nowSeconds: timestamp })).toBe(false);
  // A receiver whose secret is unset verifies nothing, not even a request signed with the empty secret.
  const unsigned = signWebhook('', timestamp, body);
  expect(verifyWebhookSignature({ secret: '', signature: unsigned, timestamp, body, nowSeconds: timestamp })).toBe(false);
});

test('a retry of the same key sends the same body byte for byte, freshly timestamped and signed', async () => {
  const input = webhookInput();
  const first = await run(input);
  // The retry comes an hour later: nothing in the body may depend on the clock.
  const later = Date.now() + 3_600_000;
  jest.spyOn(Date, 'now').mockReturnValue(later);
  const second = await run(input);
  jest.restoreAllMocks();
  const other = await run(webhookInput({ key: 'journey-acme/term-1/crm-kickoff#2' }));

  expect(received).toHaveLength(3);
  const [a, b, c] = received as [Received, Received, Received];
  expect(b.body).toBe(a.body);
  expect(second).toEqual(first);
  expect(header(b, IDEMPOTENCY_KEY_HEADER)).toBe(header(a, IDEMPOTENCY_KEY_HEADER));
  expect(Number(header(b, TIMESTAMP_HEADER))).toBe(Math.floor(later / 1000));
  expect(header(b, SIGNATURE_HEADER)).not.toBe(header(a, SIGNATURE_HEADER));
  expect(verifyWebhookSignature({ secret: SECRET, ...signed(b), nowSeconds: Math.floor(later / 1000) })).toBe(true);

  expect(other.deliveryId).not.toBe(first.deliveryId);
  expect(header(c, IDEMPOTENCY_KEY_HEADER)).toBe('journey-acme/term-1/crm-kickoff#2');
  expect(JSON.parse(c.body).id).toBe(other.deliveryId);
});

test.each([500, 503, 408, 425, 429])('a %i answer throws a retryable error naming the url and status', async (status) => {
  answer = { status, body: 'try later' };
  const err = await failureOf(run(webhookInput()));
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(err.message).toContain(url);
  expect(err.message).toContain(String(status));
  expect(received).toHaveLength(1);
});

test.each([
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [404, 'Not Found'],
  [410, 'Gone'],
  [422, 'Unprocessable Entity'],
])('a %i answer fails for good as WebhookRejected, with its status and never its body', async (status, reason) => {
  answer = { status, body: `INTERNAL-ONLY: db_password=hunter2 ${'x'.repeat(400)}` };
  const err = await failureOf(run(webhookInput()));
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe('WebhookRejected');
  expect(failure.message).toBe(`webhook ${url} refused with ${status}: ${reason}`);
});

test.each([
  ['http://127.0.0.1:9/x', 'loopback'],
  ['http://0x7f000001/x', 'loopback'],
  ['http://[::1]:8080/x', 'loopback'],
  ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
  ['http://10.0.0.1/x', 'private'],
  ['http://192.168.1.20/x', 'private'],
  ['http://[::ffff:10.0.0.1]/x', 'private'],
  ['http://[fd00::1]/x', 'uniqueLocal'],
  ['http://0.0.0.0/x', 'unspecified'],
  ['http://localhost:9/x', 'loopback'],
])('a webhook to %s is never sent: a %s address', async (destination, range) => {
  const strict = { ...deps, webhookAllowedHosts: [] };
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const err = await failureOf(env.run<[typeof deps, WebhookInput], WebhookDelivery, typeof callWebhook>(callWebhook, strict, webhookInput({ url: destination })));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'WebhookDestinationRefused', nonRetryable: true });
  expect(err.message).toMatch(new RegExp(`^webhook not sent: .* a ${range} address; allow it by name in WEBHOOK_ALLOWED_HOSTS`));
  expect(received).toEqual([]);
});

test('a host allowed by name is called on a private address; a public one needs no allowing', async () => {
  expect(await webhookDestinationProblem(url, ['127.0.0.1'])).toBeUndefined();
  expect(await webhookDestinationProblem('https://crm.example/hooks', [], () => Promise.resolve(['93.184.215.14']))).toBeUndefined();
  // A name that resolves to an internal address is refused too, whatever it looks like.
  expect(await webhookDestinationProblem('https://crm.example/hooks', [], () => Promise.resolve(['93.184.215.14', '10.1.2.3']))).toMatch(/10\.1\.2\.3, a private address/);
  expect(await webhookDestinationProblem('ftp://crm.example/x', [])).toBe('ftp: is not http(s)');
});

test('a redirect is not followed with the signed body: it fails for good', async () => {
  answer = { status: 307, body: '' };
  const err = await failureOf(run(webhookInput()));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
  expect(received).toHaveLength(1);
});

test('an unreachable receiver throws a retryable error naming the url', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/hooks`;
  const err = await failureOf(run(webhookInput({ url: closed })));
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(err.message).toContain(closed);
  expect(err.message).toMatch(/ECONNREFUSED/);
});
