import { z } from 'zod';
import '../zod-messages';
import type * as Contract from '../../contracts/customer';
import { DAY_MS } from '../../contracts/time';
import type { Same } from '../type-checks';

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name, checked against the zones this Node.js knows. */
export const timeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"');

/** A calendar date (2026-11-24) or an instant (2026-11-24T09:30:00Z), kept as an ISO instant. */
export const isoInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO date (2026-11-24) or date-time with offset (2026-11-24T09:30:00Z)',
}).transform((value) => new Date(value).toISOString());

export const personSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email(),
});

export const roleName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'must be a role name such as "successManager"');

/** A person holding an owner role; their manager is who escalations "notify the owner's manager" reach. */
export const ownerSchema = personSchema.extend({ manager: personSchema.optional() });

/** Customer ids whose journey's workflow id (`journey-<id>`) the engine uses for itself: the map registry's. */
const RESERVED_CUSTOMER_IDS = ['maps'];

export const customerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, dots, dashes or underscores')
  .refine((id) => !RESERVED_CUSTOMER_IDS.includes(id), 'is reserved by the engine (journey-maps is its map registry)');

/** The customer as the purchase describes them; the journey carries it in its input. */
const customerFields = z.strictObject({
  customerId: customerIdSchema,
  company: z.string().trim().min(1).max(200),
  contact: personSchema,
  plan: z.string().trim().min(1).max(100),
  segment: z.string().trim().min(1).max(100),
  timeZone: timeZoneSchema,
  purchaseDate: isoInstant,
  renewalDate: isoInstant,
  /** The people holding each owner role for this customer; the team's defaults fill the rest. */
  owners: z.record(roleName, ownerSchema).default({}),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** A term shorter than a month or longer than ten years is a typo, not a contract. */
const termIsSane = (c: { purchaseDate: string; renewalDate: string }) => {
  const days = (Date.parse(c.renewalDate) - Date.parse(c.purchaseDate)) / DAY_MS;
  return days >= 28 && days <= 3660;
};
const termMessage = { path: ['renewalDate'], message: 'must be between 28 days and 10 years after purchaseDate' };

export const customerSchema = customerFields.refine(termIsSane, termMessage);

/**
 * The variables a touchpoint's email template may use: the customer's fields but its owners, their
 * contact, the owner of the moment and the contact's unsubscribe link. Attributes are an open map, so
 * any name below them is allowed.
 */
/** What a touchpoint email knows of the journey (activities/deps.ts JourneyFacts). */
const JOURNEY_FACTS = ['stage', 'stageName', 'term', 'mapName'];

export function isTouchpointVariable(variable: string): boolean {
  if (variable === 'unsubscribeUrl') return true;
  if (variable.startsWith('journey.')) return JOURNEY_FACTS.includes(variable.slice('journey.'.length));
  const person = Object.keys(personSchema.shape);
  const [root, field, rest] = variable.split('.');
  if (root === 'contact' || root === 'owner') return rest === undefined && person.includes(field ?? '');
  if (root !== 'customer' || !field || !(field in customerFields.shape)) return false;
  if (field === 'contact') return person.includes(rest ?? '') && variable.split('.').length === 3;
  // Not customer.owners: the purchase's owners, stale after a reassignment (owner.* is the owner of the moment).
  if (field === 'owners') return false;
  if (field === 'attributes') return rest !== undefined;
  return rest === undefined;
}

export type { Customer, CustomerDetails, Owner, Person } from '../../contracts/customer';

const schemasMatchTheContract: [
  Same<z.infer<typeof personSchema>, Contract.Person>,
  Same<z.infer<typeof ownerSchema>, Contract.Owner>,
  Same<z.infer<typeof customerSchema>, Contract.Customer>,
] = [true, true, true];
void schemasMatchTheContract;

/**
 * POST /v1/purchases: the customer; optionally the map to run instead of the segment's map, and a
 * compressed demo clock (e.g. 2 seconds a day) to watch a whole journey play out in minutes.
 */
export const purchaseSchema = customerFields
  .extend({
    mapId: z.string().min(1).optional(),
    demoClock: z.strictObject({ secondsPerDay: z.number().min(0.1).max(86_400) }).optional(),
  })
  .refine(termIsSane, termMessage);
export type Purchase = z.infer<typeof purchaseSchema>;
