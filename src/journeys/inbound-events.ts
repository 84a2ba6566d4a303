/**
 * Events other systems send as signed webhooks (src/api/inbound-webhooks.ts), turned into the product events
 * journeys receive. Three shapes: our own (a customer id and a product event), a Segment `track` call and a
 * Stripe event. Each mapping is pure and says either which customer's journey gets which event, or why the
 * message is ignored (answered 2xx, so the sender does not retry what will never be delivered). A message
 * that is wrong (a missing id, a bad timestamp) throws, naming the field as the sender spelled it.
 */
import { z } from 'zod';
import '../zod-messages';
import { InvalidInputError, type FieldIssue } from '../errors';
import { customerIdSchema, isoInstant } from './customer';
import { productEventSchema, type ProductEventInput } from './events';

export type InboundOutcome =
  | {
      delivered: true;
      customerId: string;
      event: ProductEventInput;
      /** The sender's fields left out of the event (nested or null values, over-long text, our own field names). */
      dropped: string[];
    }
  | { delivered: false; reason: string };

/** `POST /v1/inbound/events`: exactly what the keyed route takes, with the customer in the body. */
export const inboundEventSchema = z.strictObject({ customerId: customerIdSchema, event: productEventSchema });

export function fromInboundEvent(body: unknown): InboundOutcome {
  const { customerId, event } = inboundEventSchema.parse(body);
  return { delivered: true, customerId, event, dropped: [] };
}

/** The fields the mapping sets itself; a sender's property of the same name would overwrite them. */
const RESERVED_FIELDS = new Set(['eventId', 'type', 'occurredAt', '__proto__']);
/** A product event detail's longest text (productEventSchema's limit). */
const MAX_DETAIL_LENGTH = 500;

/**
 * The scalar values of a sender's object, as event details. Nested objects, arrays, nulls and text over 500
 * characters are dropped rather than refused: Segment and Stripe objects carry many such fields, and refusing
 * them would lose the event (neither retries a 4xx for the better). Their paths are returned, for the answer.
 */
function scalarDetails(source: Record<string, unknown>, path: string): { details: Record<string, string | number | boolean>; dropped: string[] } {
  const kept: [string, string | number | boolean][] = [];
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(source)) {
    const scalar =
      (typeof value === 'string' && value.length <= MAX_DETAIL_LENGTH) || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (scalar && !RESERVED_FIELDS.has(key)) kept.push([key, value]);
    else dropped.push(`${path}.${key}`);
  }
  // fromEntries defines own properties: a key such as "constructor" stays a plain field.
  return { details: Object.fromEntries(kept), dropped };
}

/** The product event, checked as the keyed route checks it; an issue with a detail names the sender's field. */
function productEvent(candidate: Record<string, unknown>, detailsPath: string): ProductEventInput {
  const parsed = productEventSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((issue) => ({
    field: `${detailsPath}.${issue.path.map(String).join('.')}`,
    message: issue.message,
  }));
  throw new InvalidInputError(issues);
}

/** The first of the sender's candidate fields that is set, as a customer id; a set one that is not valid is refused, naming it. */
function customerIdFrom(candidates: readonly [field: string, value: unknown][]): string | undefined {
  const found = candidates.find(([, value]) => value !== undefined && value !== null && value !== '');
  if (!found) return undefined;
  const [field, value] = found;
  const parsed = customerIdSchema.safeParse(typeof value === 'number' ? String(value) : value);
  if (!parsed.success) throw new InvalidInputError(field, parsed.error.issues[0]?.message ?? 'is not a customer id');
  return parsed.data;
}

// Segment (https://segment.com/docs/connections/spec/track/). Only what the mapping reads is checked.
export const segmentCall = z.looseObject({ type: z.string().trim().min(1).max(50) });
export const segmentTrack = z.looseObject({
  type: z.literal('track'),
  event: z.string().trim().min(1).max(200),
  messageId: z.string().trim().min(1).max(200),
  timestamp: isoInstant.optional(),
  userId: z.union([z.string(), z.number()]).nullish(),
  properties: z.record(z.string(), z.unknown()).nullish(),
  context: z.looseObject({ groupId: z.union([z.string(), z.number()]).nullish() }).nullish(),
});

const PREFIX_FOR_ONE_WORD = 'segment';

/**
 * A Segment event name as a product event type. Words are the runs of letters and digits (accents dropped,
 * everything else separates), lower-cased; the last word is the action and the words before it, joined by
 * `_`, the object: "Report Created" → `report.created`, "Feature Flag Toggled" → `feature_flag.toggled`,
 * "order_completed" → `order.completed`, "user.login" → `user.login`. A one-word name has no object and
 * becomes `segment.<word>` ("Signup" → `segment.signup`), as does a name that starts with a digit
 * ("2FA Enabled" → `segment.2fa.enabled`), since a type starts with a letter. Undefined for a name with no
 * letter or digit at all.
 */
export function segmentEventType(name: string): string | undefined {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) return undefined;
  if (words.length === 1) return `${PREFIX_FOR_ONE_WORD}.${words[0]}`;
  const type = `${words.slice(0, -1).join('_')}.${words.at(-1)}`;
  return /^[a-z]/.test(type) ? type : `${PREFIX_FOR_ONE_WORD}.${type}`;
}

/**
 * A Segment call: a `track` becomes a product event (eventId = messageId, so Segment's retries count once;
 * occurredAt = timestamp; scalar properties become details). The customer is `properties.customerId`, else
 * `context.groupId` (the account, in Segment's B2B convention), else `userId`; a track with none of them (an
 * anonymous visitor) is ignored. Other calls (identify, page, screen, group, alias) are ignored.
 */
export function fromSegment(body: unknown): InboundOutcome {
  const { type } = segmentCall.parse(body);
  if (type !== 'track') return { delivered: false, reason: `Segment "${type}" calls carry no product event; only "track" calls reach a journey` };
  const track = segmentTrack.parse(body);
  const properties = track.properties ?? {};
  const customerId = customerIdFrom([
    ['properties.customerId', properties.customerId],
    ['context.groupId', track.context?.groupId],
    ['userId', track.userId],
  ]);
  if (!customerId) return { delivered: false, reason: 'the track call names no customer (properties.customerId, context.groupId or userId): an anonymous visitor has no journey' };
  const eventType = segmentEventType(track.event);
  if (!eventType) throw new InvalidInputError('event', 'has no letters or digits to make an event type of');
  const { details, dropped } = scalarDetails(properties, 'properties');
  const event = productEvent(
    { ...details, eventId: track.messageId, type: eventType, ...(track.timestamp ? { occurredAt: track.timestamp } : {}) },
    'properties',
  );
  return { delivered: true, customerId, event, dropped };
}

// Stripe (https://docs.stripe.com/api/events/object). `created` is unix seconds.
export const stripeEvent = z.looseObject({
  id: z.string().trim().min(1).max(200),
  type: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'must be a Stripe event type such as "invoice.paid"'),
  created: z.number().int().min(0).max(253_402_300_799, 'must be unix seconds'),
  data: z.looseObject({
    object: z.looseObject({
      id: z.string().max(200).optional(),
      object: z.string().max(100).optional(),
      metadata: z.record(z.string(), z.unknown()).nullish(),
    }),
  }),
});

/** What every Stripe event type is prefixed with: Stripe's names stay apart from the product's and the engine's own (renewal.renewed). */
export const STRIPE_TYPE_PREFIX = 'stripe.';

/**
 * A Stripe event: eventId = its id (Stripe's retries count once), type = `stripe.` + its type
 * (`stripe.invoice.paid`), occurredAt = `created`. The customer is `data.object.metadata.customerId`, which
 * billing sets to our customer id on the Stripe customer, subscription or invoice; an event whose object lacks
 * it is ignored (answered 200: Stripe would retry a refusal for days and then disable the endpoint). Details:
 * the object's kind and id (`stripeObject`, `stripeObjectId`) and its metadata.
 */
export function fromStripe(body: unknown): InboundOutcome {
  const stripe = stripeEvent.parse(body);
  const object = stripe.data.object;
  const metadata = object.metadata ?? {};
  const customerId = customerIdFrom([['data.object.metadata.customerId', metadata.customerId]]);
  if (!customerId) {
    return { delivered: false, reason: `data.object.metadata.customerId is not set on this ${object.object ?? 'object'}: only objects billing tagged with our customer id reach a journey` };
  }
  const { details, dropped } = scalarDetails(metadata, 'data.object.metadata');
  const own = { ...(object.object ? { stripeObject: object.object } : {}), ...(object.id ? { stripeObjectId: object.id } : {}) };
  const event = productEvent(
    { ...details, ...own, eventId: stripe.id, type: `${STRIPE_TYPE_PREFIX}${stripe.type}`, occurredAt: new Date(stripe.created * 1000).toISOString() },
    'data.object.metadata',
  );
  return { delivered: true, customerId, event, dropped };
}
