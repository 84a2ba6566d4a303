import { z } from 'zod';
import { isoInstant } from './customer';

const fieldValue = z.union([z.string().max(500), z.number(), z.boolean()]);

/**
 * A product or billing event. `type` says what happened; any other top-level field (feature,
 * seat, ...) is a detail that milestones can match on.
 */
export const productEventSchema = z
  .looseObject({
    eventId: z.string().trim().min(1).max(200),
    type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'must be a dotted event name such as "feature.used"'),
    occurredAt: isoInstant.optional(),
    /** For renewal.renewed: the next renewal date, when not one term after the current one. */
    renewsOn: isoInstant.optional(),
  })
  .catchall(fieldValue);

export type ProductEventInput = z.infer<typeof productEventSchema>;

export type { ProductEvent } from '../../contracts/events';
