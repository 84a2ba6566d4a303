import { ZodError } from 'zod';
import { InvalidInputError } from '../../src/errors';
import { fromInboundEvent, fromSegment, fromStripe, segmentEventType } from '../../src/journeys/inbound-events';

/** The fields a thrown error names, as the API's 400 lists them. */
function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ZodError) return err.issues.map((issue) => issue.path.join('.'));
    if (err instanceof InvalidInputError) return err.issues.map((issue) => issue.field);
    throw err;
  }
  throw new Error('did not throw');
}

describe('our own event', () => {
  test('is a customer id and a product event, checked as the keyed route checks it', () => {
    expect(fromInboundEvent({ customerId: 'acme', event: { eventId: 'e1', type: 'feature.used', feature: 'reports' } })).toEqual({
      delivered: true,
      customerId: 'acme',
      event: { eventId: 'e1', type: 'feature.used', feature: 'reports' },
      dropped: [],
    });
    expect(fieldsOf(() => fromInboundEvent({ event: { eventId: 'e1', type: 'Login' } }))).toEqual(['customerId', 'event.type']);
    expect(fieldsOf(() => fromInboundEvent({ customerId: 'acme', event: { eventId: 'e1', type: 'a.b' }, extra: 1 }))).toEqual(['']);
    expect(fieldsOf(() => fromInboundEvent({ customerId: 'acme', event: { eventId: 'e1', type: 'a.b', nested: { x: 1 } } }))).toEqual(['event.nested']);
  });
});

describe('Segment', () => {
  test.each([
    ['Report Created', 'report.created'],
    ['Feature Used', 'feature.used'],
    ['feature_used', 'feature.used'],
    ['user.login', 'user.login'],
    ['Feature Flag Toggled', 'feature_flag.toggled'],
    ['  Checkout -- Step 2 Viewed! ', 'checkout_step_2.viewed'],
    ['Café Visité', 'cafe.visite'],
    ['Signup', 'segment.signup'],
    ['2FA Enabled', 'segment.2fa.enabled'],
    ['2FA', 'segment.2fa'],
  ])('the event name %j becomes the type %j', (name, type) => {
    expect(segmentEventType(name)).toBe(type);
    expect(type).toMatch(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);
  });

  const track = {
    type: 'track',
    event: 'Feature Used',
    messageId: 'ajs-next-1f3c',
    timestamp: '2026-11-25T09:12:00.000Z',
    userId: 'user-42',
    anonymousId: 'anon-9',
    properties: { feature: 'reports', seats: 3, trial: false },
    context: { groupId: 'acme', ip: '203.0.113.9' },
  };

  test('a track call is a product event: messageId, type, timestamp and scalar properties', () => {
    expect(fromSegment(track)).toEqual({
      delivered: true,
      customerId: 'acme',
      event: { eventId: 'ajs-next-1f3c', type: 'feature.used', occurredAt: '2026-11-25T09:12:00.000Z', feature: 'reports', seats: 3, trial: false },
      dropped: [],
    });
    // Without a timestamp the engine stamps it when it delivers (as the keyed route does).
    const { timestamp: _unused, ...untimed } = track;
    expect(fromSegment(untimed)).toMatchObject({ event: { eventId: 'ajs-next-1f3c' } });
    expect((fromSegment(untimed) as { event: object }).event).not.toHaveProperty('occurredAt');
  });

  test('nested, null and over-long properties, and our own field names, are dropped and listed', () => {
    const outcome = fromSegment({
      ...track,
      properties: { feature: 'reports', products: [{ sku: 'a' }], plan: { name: 'pro' }, coupon: null, note: 'x'.repeat(501), type: 'admin', eventId: 'x', constructor: 'kept' },
    });
    expect(outcome).toMatchObject({ delivered: true, event: { type: 'feature.used', eventId: 'ajs-next-1f3c', feature: 'reports', constructor: 'kept' } });
    expect((outcome as { dropped: string[] }).dropped).toEqual([
      'properties.products',
      'properties.plan',
      'properties.coupon',
      'properties.note',
      'properties.type',
      'properties.eventId',
    ]);
  });

  test('the customer is properties.customerId, else context.groupId, else userId', () => {
    const customerOf = (message: object) => (fromSegment({ ...track, ...message }) as { customerId?: string }).customerId;
    expect(customerOf({ properties: { customerId: 'globex' } })).toBe('globex');
    expect(customerOf({})).toBe('acme');
    expect(customerOf({ context: {} })).toBe('user-42');
    expect(customerOf({ context: { groupId: '' }, userId: 1234 })).toBe('1234');
    // An anonymous visitor has no journey: ignored, not refused (Segment would only retry a refusal).
    expect(fromSegment({ ...track, context: {}, userId: null })).toEqual({ delivered: false, reason: expect.stringContaining('names no customer') });
    // A customer named but not valid is refused, naming the field it came from.
    expect(fieldsOf(() => fromSegment({ ...track, context: { groupId: 'acme corp' } }))).toEqual(['context.groupId']);
    expect(fieldsOf(() => fromSegment({ ...track, context: {}, userId: 'ana@acme.example' }))).toEqual(['userId']);
    expect(fieldsOf(() => fromSegment({ ...track, properties: { customerId: 'maps' } }))).toEqual(['properties.customerId']);
  });

  test('calls other than track are ignored with the reason', () => {
    for (const type of ['identify', 'page', 'screen', 'group', 'alias']) {
      expect(fromSegment({ type, messageId: 'm1', userId: 'acme' })).toEqual({ delivered: false, reason: `Segment "${type}" calls carry no product event; only "track" calls reach a journey` });
    }
  });

  test('a bad track call names its field', () => {
    expect(fieldsOf(() => fromSegment({ event: 'Feature Used' }))).toEqual(['type']);
    expect(fieldsOf(() => fromSegment({ ...track, messageId: undefined }))).toEqual(['messageId']);
    expect(fieldsOf(() => fromSegment({ ...track, event: '' }))).toEqual(['event']);
    expect(fieldsOf(() => fromSegment({ ...track, event: '!!!' }))).toEqual(['event']);
    expect(fieldsOf(() => fromSegment({ ...track, timestamp: 'yesterday' }))).toEqual(['timestamp']);
    expect(fieldsOf(() => fromSegment({ ...track, properties: ['reports'] }))).toEqual(['properties']);
    expect(fieldsOf(() => fromSegment({ ...track, properties: { renewsOn: 'next year' } }))).toEqual(['properties.renewsOn']);
    expect(fieldsOf(() => fromSegment('track'))).toEqual(['']);
  });
});

describe('Stripe', () => {
  const invoicePaid = {
    id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    object: 'event',
    type: 'invoice.paid',
    created: 1_790_000_000,
    livemode: false,
    data: { object: { id: 'in_1MtHbELkdIwHu7ixl4OzzPMv', object: 'invoice', amount_paid: 9900, metadata: { customerId: 'acme', plan: 'pro', nested: 'x'.repeat(501) } } },
  };

  test('an event is a product event: its id, stripe.<type>, created, the object kind and id, and its metadata', () => {
    expect(fromStripe(invoicePaid)).toEqual({
      delivered: true,
      customerId: 'acme',
      event: {
        eventId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
        type: 'stripe.invoice.paid',
        occurredAt: new Date(1_790_000_000_000).toISOString(),
        stripeObject: 'invoice',
        stripeObjectId: 'in_1MtHbELkdIwHu7ixl4OzzPMv',
        customerId: 'acme',
        plan: 'pro',
      },
      dropped: ['data.object.metadata.nested'],
    });
    const deleted = { ...invoicePaid, type: 'customer.subscription.deleted', data: { object: { id: 'sub_1', object: 'subscription', metadata: { customerId: 'acme' } } } };
    expect(fromStripe(deleted)).toMatchObject({ event: { type: 'stripe.customer.subscription.deleted', stripeObject: 'subscription' } });
  });

  test('an object billing did not tag with our customer id is ignored, with the reason', () => {
    const untagged = { ...invoicePaid, data: { object: { id: 'in_2', object: 'invoice', metadata: {} } } };
    expect(fromStripe(untagged)).toEqual({ delivered: false, reason: expect.stringMatching(/^data\.object\.metadata\.customerId is not set on this invoice/) });
    expect(fromStripe({ ...invoicePaid, data: { object: { id: 'in_3' } } })).toMatchObject({ delivered: false });
  });

  test('a bad event names its field', () => {
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, id: '' }))).toEqual(['id']);
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, type: 'Invoice Paid' }))).toEqual(['type']);
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, created: '2026-11-25' }))).toEqual(['created']);
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, created: 1e15 }))).toEqual(['created']);
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, data: {} }))).toEqual(['data.object']);
    expect(fieldsOf(() => fromStripe({ ...invoicePaid, data: { object: { metadata: { customerId: 'no such/id' } } } }))).toEqual(['data.object.metadata.customerId']);
  });
});
