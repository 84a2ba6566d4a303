import type { Server } from 'node:http';
import type { AppDeps } from '../../src/api/app';
import { signInbound } from '../../src/auth/webhook-signatures';
import type { JourneyService } from '../../src/journeys/service';
import { purchaseBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type HttpAnswer, LocalStack, startedForTheseTests } from '../helpers/stack';
import { appWithoutTemporal, serveOnLoopback } from '../helpers/app-routes';

/**
 * Signed inbound webhooks against the real engine on loopback (Temporal dev server, worker, HTTP API): a
 * Segment track, a Stripe event and our own event move journeys; a request without a good, fresh signature
 * is refused and changes nothing; Segment's and Stripe's retries count once.
 */
const SECRET = 'inbound-test-secret-0123456789';
const PREVIOUS = 'inbound-previous-secret-0123456789';
const stack = new LocalStack({ inboundWebhookSecrets: [SECRET, PREVIOUS] });

startedForTheseTests(stack);

/** A webhook as a sender sends it: no API key, the body's bytes signed (or not, or badly, as told). */
async function webhook(
  route: string,
  body: unknown,
  sign: { secret?: string; timestamp?: number; header?: string | null } = {},
  url = stack.apiUrl,
): Promise<HttpAnswer> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const header = sign.header === undefined ? signInbound(sign.secret ?? SECRET, raw, sign.timestamp) : sign.header;
  const response = await fetch(`${url}/v1/inbound/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'stripe-signature': header }) },
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function buy(customerId: string): Promise<void> {
  expect((await stack.post('/v1/purchases', purchaseBody(customerId))).status).toBe(201);
}

async function journey(customerId: string): Promise<any> {
  const { status, body } = await stack.get(`/v1/customers/${customerId}/journey`);
  expect(status).toBe(200);
  return body;
}

const milestone = (state: any, id: string) => state.milestones.find((m: { id: string }) => m.id === id);

const track = (customerId: string, event: string, messageId: string, properties: Record<string, unknown> = {}) => ({
  type: 'track',
  event,
  messageId,
  timestamp: new Date().toISOString(),
  userId: `user-of-${customerId}`,
  anonymousId: 'anon-1',
  properties,
  context: { groupId: customerId, library: { name: 'analytics.js' } },
});

test('signed Segment track calls move a journey; a retried messageId counts once; other calls are ignored', async () => {
  await buy('seg-co');
  const login = track('seg-co', 'User Login', 'seg-msg-login');
  const delivered = await webhook('segment', login);
  expect(delivered.status).toBe(202);
  expect(delivered.body).toEqual({ workflowId: 'journey-seg-co', eventId: 'seg-msg-login', type: 'user.login' });
  // Segment retries what it did not see answered: the same message again, and once more signed afresh.
  expect((await webhook('segment', login)).status).toBe(202);
  expect((await webhook('segment', login, { timestamp: Math.floor(Date.now() / 1000) - 60 })).status).toBe(202);

  const reports = track('seg-co', 'Feature Used', 'seg-msg-reports', { feature: 'reports', products: [{ sku: 'r1' }] });
  const mapped = await webhook('segment', reports);
  expect(mapped.status).toBe(202);
  expect(mapped.body).toEqual({ workflowId: 'journey-seg-co', eventId: 'seg-msg-reports', type: 'feature.used', dropped: ['properties.products'] });

  const state = await eventually(async () => {
    const s = await journey('seg-co');
    expect(s.stage).toBe('adoption');
    return s;
  });
  expect(state.seenEventIds).toEqual(['seg-msg-login', 'seg-msg-reports']);
  expect(state.eventsReceived).toBe(2);
  expect(milestone(state, 'first-login')).toMatchObject({ status: 'reached', eventId: 'seg-msg-login', reachedAt: login.timestamp });
  expect(milestone(state, 'key-feature-used')).toMatchObject({ status: 'reached', eventId: 'seg-msg-reports' });

  // Identify, page, ... carry no product event: 200, so Segment does not retry them; the journey does not hear of them.
  const identify = await webhook('segment', { type: 'identify', messageId: 'seg-msg-identify', userId: 'seg-co', traits: { plan: 'pro' } });
  expect(identify.status).toBe(200);
  expect(identify.body).toEqual({ ignored: true, reason: 'Segment "identify" calls carry no product event; only "track" calls reach a journey' });
  const anonymous = await webhook('segment', { ...track('seg-co', 'Page Scrolled', 'seg-msg-anon'), userId: null, context: {} });
  expect(anonymous.status).toBe(200);
  expect(anonymous.body).toEqual({ ignored: true, reason: expect.stringContaining('names no customer') });
  expect((await journey('seg-co')).eventsReceived).toBe(2);
});

test('a signed event of our own shape moves a journey, answered as the keyed route answers', async () => {
  await buy('generic-co');
  const event = { eventId: 'gen-login-1', type: 'user.login', occurredAt: new Date().toISOString() };
  const signed = await webhook('events', { customerId: 'generic-co', event });
  const keyed = await stack.post('/v1/customers/generic-co/events', event);
  expect(signed.status).toBe(202);
  expect(signed.body).toEqual({ workflowId: 'journey-generic-co', eventId: 'gen-login-1' });
  expect(keyed).toEqual({ status: 202, body: signed.body });
  const state = await eventually(async () => {
    const s = await journey('generic-co');
    expect(milestone(s, 'first-login')).toMatchObject({ status: 'reached', eventId: 'gen-login-1' });
    return s;
  });
  expect(state.eventsReceived).toBe(1);
  // Signed with the secret being rotated out: still taken.
  const rotated = await webhook('events', { customerId: 'generic-co', event: { eventId: 'gen-2', type: 'feature.used', feature: 'exports' } }, { secret: PREVIOUS });
  expect(rotated.status).toBe(202);
  await eventually(async () => expect((await journey('generic-co')).seenEventIds).toEqual(['gen-login-1', 'gen-2']));
});

test('a signed Stripe event reaches the journey billing tagged; an untagged one is ignored', async () => {
  await buy('stripe-co');
  const created = Math.floor(Date.now() / 1000);
  const invoicePaid = {
    id: 'evt_1StripeInvoicePaid',
    object: 'event',
    type: 'invoice.paid',
    created,
    data: { object: { id: 'in_1', object: 'invoice', amount_paid: 9900, metadata: { customerId: 'stripe-co' } } },
  };
  const delivered = await webhook('stripe', invoicePaid);
  expect(delivered.status).toBe(202);
  expect(delivered.body).toEqual({ workflowId: 'journey-stripe-co', eventId: 'evt_1StripeInvoicePaid', type: 'stripe.invoice.paid' });
  // Stripe retries until it sees a 2xx: the same event id counts once.
  expect((await webhook('stripe', invoicePaid)).status).toBe(202);
  const untagged = await webhook('stripe', { ...invoicePaid, id: 'evt_untagged', data: { object: { id: 'in_2', object: 'invoice', metadata: {} } } });
  expect(untagged.status).toBe(200);
  expect(untagged.body).toEqual({ ignored: true, reason: expect.stringMatching(/^data\.object\.metadata\.customerId is not set on this invoice/) });
  await eventually(async () => expect((await journey('stripe-co')).seenEventIds).toEqual(['evt_1StripeInvoicePaid']));
});

test('no signature, a wrong one or an old one is a 401, and the journey does not change', async () => {
  await buy('guarded-co');
  const event = (eventId: string) => ({ customerId: 'guarded-co', event: { eventId, type: 'user.login' } });
  const now = Math.floor(Date.now() / 1000);
  const refused: [string, HttpAnswer, RegExp][] = [
    ['none', await webhook('events', event('bad-none'), { header: null }), /^the Stripe-Signature header is missing/],
    ['wrong secret', await webhook('events', event('bad-secret'), { secret: 'not-the-inbound-secret-000' }), /^no signature matches/],
    ['old', await webhook('events', event('bad-old'), { timestamp: now - 301 }), /^the signature's timestamp is 30\d s old/],
    ['future', await webhook('events', event('bad-future'), { timestamp: now + 400 }), /^the signature's timestamp is \d+ s in the future/],
    ['malformed', await webhook('events', event('bad-malformed'), { header: 'sha256=abc' }), /^the Stripe-Signature header is malformed/],
    ['segment', await webhook('segment', track('guarded-co', 'User Login', 'bad-segment'), { header: null }), /header is missing/],
    ['stripe', await webhook('stripe', { id: 'bad-stripe' }, { secret: 'not-the-inbound-secret-000' }), /^no signature matches/],
  ];
  for (const [what, answer, reason] of refused) {
    expect([what, answer.status, answer.body]).toEqual([what, 401, { error: expect.stringMatching(reason) }]);
    expect(answer.headers.get('www-authenticate')).toBe('Stripe-Signature realm="journeys inbound webhooks"');
  }
  // Signed for another body: the body that arrives is not what was signed.
  const signedFor = signInbound(SECRET, JSON.stringify(event('bad-other-body')));
  expect((await webhook('events', event('bad-swapped'), { header: signedFor })).status).toBe(401);
  // An API key is no substitute for the signature.
  const keyed = await fetch(`${stack.apiUrl}/v1/inbound/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.headers },
    body: JSON.stringify(event('bad-keyed')),
  });
  expect(keyed.status).toBe(401);

  // A good one after them all: once it is in, nothing refused before it is.
  expect((await webhook('events', event('good-1'))).status).toBe(202);
  const state = await eventually(async () => {
    const s = await journey('guarded-co');
    expect(s.seenEventIds).toContain('good-1');
    return s;
  });
  expect(state.seenEventIds).toEqual(['good-1']);
  expect(state.eventsReceived).toBe(1);
});

test('a signed request that is wrong is a 400 naming the field; an unknown customer is a 404', async () => {
  const invalid = await webhook('segment', { ...track('seg-co', 'User Login', 'x'), messageId: undefined });
  expect(invalid.status).toBe(400);
  expect(invalid.body).toEqual({ error: 'invalid request', issues: [{ field: 'messageId', message: 'is required' }] });
  const nested = await webhook('events', { customerId: 'seg-co', event: { eventId: 'n1', type: 'Login' } });
  expect(nested.status).toBe(400);
  expect(nested.body.issues).toEqual([{ field: 'event.type', message: 'must be a dotted event name such as "feature.used"' }]);
  const stripe = await webhook('stripe', { id: 'evt_x', type: 'invoice.paid', created: 'today', data: { object: {} } });
  expect(stripe.status).toBe(400);
  expect(stripe.body.issues.map((issue: { field: string }) => issue.field)).toEqual(['created']);
  const notJson = await webhook('events', '{"customerId": ');
  expect(notJson.status).toBe(400);
  expect(notJson.body).toEqual({ error: 'invalid request', issues: [{ field: '(body)', message: 'is not valid JSON' }] });
  const unknown = await webhook('events', { customerId: 'nobody', event: { eventId: 'e1', type: 'user.login' } });
  expect(unknown).toMatchObject({ status: 404, body: { error: 'no journey for customer "nobody"' } });
  const noRoute = await webhook('hubspot', {});
  expect(noRoute).toMatchObject({ status: 404, body: { error: 'no route POST /v1/inbound/hubspot' } });
  // The API's body limit holds here too, for a body sent without its length announced.
  const big = JSON.stringify({ customerId: 'seg-co', event: { eventId: 'big', type: 'a.b', note: 'x'.repeat(200 * 1024) } });
  const chunked = await fetch(`${stack.apiUrl}/v1/inbound/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signInbound(SECRET, big) },
    body: new Blob([big]).stream(),
    duplex: 'half',
  });
  expect(chunked.status).toBe(413);
});

describe('the API without inbound secrets, and under its rate limits', () => {
  let server: Server;
  let url: string;
  const deliveries: unknown[] = [];

  /** The real app with a journey service that only records: what is checked here happens before any journey. */
  async function start(deps: Partial<AppDeps>): Promise<void> {
    const journeys = { deliverEvent: (customerId: string, event: { eventId: string }) => {
      deliveries.push({ customerId, event });
      return Promise.resolve({ workflowId: `journey-${customerId}`, eventId: event.eventId });
    } } as unknown as JourneyService;
    const app = appWithoutTemporal({ journeys, keys: { verify: () => Promise.resolve(undefined) }, http: { allowedHosts: [], requestsPerMinute: 1_000 }, ...deps });
    ({ server, url } = await serveOnLoopback(app));
  }

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    deliveries.length = 0;
  });

  test('unset secrets: every inbound route answers 503 "not configured", signed or not, and nothing is delivered', async () => {
    await start({});
    for (const route of ['events', 'segment', 'stripe']) {
      const answer = await webhook(route, { customerId: 'acme', event: { eventId: 'e1', type: 'user.login' } }, {}, url);
      expect([route, answer.status, answer.body.error]).toEqual([route, 503, expect.stringContaining('inbound webhooks are not configured on this engine: set INBOUND_WEBHOOK_SECRETS')]);
    }
    expect(deliveries).toEqual([]);
  });

  test("the API's rate limit counts inbound webhooks too", async () => {
    await start({ inboundWebhookSecrets: [SECRET], http: { allowedHosts: [], requestsPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await webhook('events', { customerId: 'acme', event: { eventId: `e${i}`, type: 'user.login' } }, {}, url)).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect(deliveries).toHaveLength(3);
  });
});
