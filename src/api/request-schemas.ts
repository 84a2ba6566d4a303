/**
 * The schemas the routes of app.ts check their path, query and body with (the domain's own schemas, such as
 * purchaseSchema, stay with the domain). Here, and not in app.ts, so the API description (openapi.ts) reads the
 * very schemas the routes parse with without importing the app: one definition for both.
 */
import { z } from 'zod';
import { customerIdSchema, roleName } from '../journeys/customer';

export const customerParams = z.object({ customerId: customerIdSchema });
export const ownerParams = customerParams.extend({ role: roleName });
export const bookingParams = customerParams.extend({ bookingId: z.string().min(1).max(100), change: z.enum(['reschedule', 'cancel']) });
/** A booking change's body as read first: any object; its fields are then checked as the change (meetingChange). */
export const bookingChangeBody = z.object({}).loose();

/** Text that goes into a Temporal visibility query: a control character (NUL) or a lone surrogate breaks the query itself. */
const queryText = z.string().regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters or unpaired surrogates');
const idMapping = z.record(z.string().min(1), z.string().min(1));
export const migrationOrder = z.strictObject({
  mapId: z.string().min(1),
  toVersion: z.number().int().min(1),
  query: queryText.min(1).max(2000).optional(),
  dryRun: z.boolean().default(false),
  stageMapping: idMapping.optional(),
  milestoneMapping: idMapping.optional(),
});
export const taskCompletion = z.strictObject({
  outcome: z.string().trim().min(1).max(200),
  notes: z.string().max(5000).optional(),
});
export const taskFilter = z.object({
  owner: z.email(),
  status: z.enum(['open', 'done', 'all']).default('open'),
});
export const meetingChange = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('reschedule'),
    startsAt: z.iso.datetime({ offset: true, error: 'must be a date-time with offset (2026-12-03T14:00:00Z)' }),
  }),
  z.strictObject({ type: z.literal('cancel'), reason: z.string().trim().min(1).max(500) }),
]);
export const journeyFilter = z.object({
  status: z.enum(['running', 'all']).optional(),
  stage: queryText.min(1).optional(),
  segment: queryText.min(1).optional(),
  owner: queryText.min(1).optional(),
  atRisk: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
});
/** Who steers a journey (a name or address, for its timeline) and why: pausing and cancelling need a reason. */
const steeredBy = z.string().trim().min(1).max(200).optional();
export const pauseRequest = z.strictObject({ reason: z.string().trim().min(1).max(500), by: steeredBy });
export const resumeRequest = z.strictObject({ by: steeredBy });
export const cancelRequest = pauseRequest;
export const mapQuery = z.object({ version: z.coerce.number().int().min(1).optional() });
export const mailFilter = z.object({ to: z.email().optional(), journey: z.string().min(1).optional() });
