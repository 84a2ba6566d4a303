/**
 * What the API answers, as zod schemas for the API description (openapi.ts). Nothing parses answers: each schema
 * stands for a TypeScript type the routes answer (contracts/, the services), and the checks at the end fail to
 * compile until the two agree. The journey's state is large and grows with the map language: it is described by
 * its main fields and left open.
 */
import { z } from 'zod';
import type { Booking, JourneyState, MigrationPlan, OwnerReassignment, OwnerTask } from '../../contracts/journey';
import type { Suppression } from '../delivery/suppressions';
import type { ListedTask } from '../facts/journey-facts';
import { ownerSchema, personSchema } from '../journeys/customer';
import type { JourneySummary, MigrationResult, StartedJourney } from '../journeys/service';
import type { CaughtMail } from '../mail/mailbox';
import type { MapVersionSummary } from '../maps/registry';
import type { Same } from '../type-checks';

const instant = z.string().describe('an ISO instant (2026-11-24T09:30:00.000Z)');
const workflowId = z.string().describe('the journey\'s Temporal workflow id, journey-<customerId>');

/** src/api/errors.ts: every refusal but a 400 is `{ error }`; a 400 names each bad field. */
export const errorBody = z.object({ error: z.string() }).meta({ id: 'Error', description: 'What went wrong, in a sentence.' });
export const invalidRequestBody = z
  .object({ error: z.enum(['invalid request', 'invalid map']), issues: z.array(z.object({ field: z.string(), message: z.string() })).min(1) })
  .meta({ id: 'InvalidRequest', description: 'A 400: each bad field by its path (body fields as a.b.0, or "(body)", "(path)") and what is wrong with it.' });
export const unavailableBody = z
  .object({ error: z.string(), dependency: z.enum(['temporal', 'database']) })
  .meta({ id: 'Unavailable', description: 'A dependency is down; nothing was changed. Retry after the Retry-After seconds.' });

export const health = z.object({ status: z.literal('ok') });
export const readiness = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })) });
export const consoleSettings = z.object({ temporalUiUrl: z.string(), namespace: z.string() });

export const startedJourney = z.object({ workflowId, created: z.boolean().describe('false: the customer already had this journey (the purchase was delivered before)'), map: z.object({ id: z.string(), version: z.number().int() }) });
export const deliveredEvent = z.object({ workflowId, eventId: z.string() });

const bookingSchema = z
  .object({
    bookingId: z.string(),
    kind: z.enum(['call', 'training']),
    topic: z.string(),
    startsAt: instant,
    endsAt: instant,
    timeZone: z.string(),
    owner: personSchema,
    trainer: personSchema.optional(),
    sequence: z.number().int(),
    status: z.enum(['booked', 'cancelled']),
    touchpointKey: z.string(),
    attendance: z.enum(['attended', 'no-show']).optional(),
  })
  .meta({ id: 'Booking', description: 'A call or training session the journey booked (contracts/journey.ts Booking).' });
export { bookingSchema as booking };

const ownerTaskFields = z.object({
  taskId: z.string(),
  title: z.string(),
  owner: personSchema,
  dueAt: instant,
  touchpointKey: z.string(),
  ownerRole: z.string().optional(),
  status: z.enum(['open', 'done']).optional(),
  completedAt: instant.optional(),
  outcome: z.string().optional(),
  notes: z.string().optional(),
  escalations: z.number().int().optional(),
});
export const ownerTask = ownerTaskFields.meta({ id: 'OwnerTask', description: 'A task the journey gave an owner (contracts/journey.ts OwnerTask).' });
export const mapReviewTask = z
  .object({
    kind: z.literal('map-review'),
    taskId: z.string(),
    title: z.string(),
    owner: personSchema,
    dueAt: instant.describe('when the review fell due'),
    mapId: z.string(),
    mapVersion: z.number().int(),
    status: z.enum(['open', 'done']),
    completedAt: instant.optional(),
    outcome: z.string().optional(),
    notes: z.string().optional(),
  })
  .meta({ id: 'MapReviewTask', description: "A map owner's yearly review task (contracts/map-review.ts): a map's, not a customer's." });
export const listedTask = z.union([ownerTaskFields.extend({ customerId: z.string() }), mapReviewTask]);

export const ownerReassignment = z.object({
  role: z.string(),
  owner: ownerSchema,
  previous: ownerSchema.optional(),
  movedTasks: z.array(z.string()),
  movedTouchpoints: z.array(z.string()),
});

export const timeline = z
  .object({
    customerId: z.string(),
    workflowId,
    status: z.string(),
    map: z.string().describe('map id@version'),
    term: z.number().int(),
    stage: z.string(),
    atRisk: z.boolean(),
    paused: z.object({ at: instant, reason: z.string(), by: z.string().optional() }).optional(),
    owner: z.object({ name: z.string(), email: z.string() }).loose().optional().describe('who owns the moment: the owner of the current stage'),
    next: z.object({ name: z.string(), action: z.string(), at: instant, owner: z.object({ name: z.string(), email: z.string() }).loose() }).optional(),
    temporalUi: z.string().describe("the journey's page in the Temporal UI"),
    entries: z.array(z.object({ at: instant, kind: z.string().describe('a fact kind, or event.received'), title: z.string(), term: z.number().int().optional(), detail: z.record(z.string(), z.unknown()) })),
  })
  .meta({ id: 'JourneyTimeline', description: "Everything the customer's journey did, in time order (src/journeys/timeline.ts)." });

const journeyPause = z.object({ at: instant, reason: z.string(), by: z.string().optional() });
export const pausedJourney = journeyPause.meta({ id: 'JourneyPause', description: 'When the journey was paused, why and by whom.' });
export const resumedJourney = journeyPause.extend({ resumedAt: instant, resumedBy: z.string().optional(), eventsHeld: z.number().int().describe('product events held while paused, acted on now') });
export const cancelledJourney = z.object({ cancelledAt: instant, reason: z.string() });

export const mapVersion = z.object({
  id: z.string(),
  version: z.number().int(),
  name: z.string(),
  segments: z.array(z.string()),
  publishedAt: instant,
  owner: z.string().optional().describe('the team role (maps/team.yaml) that keeps the map up to date'),
  lastReviewed: z.string().optional().describe('when the owner last reviewed the map, YYYY-MM-DD'),
  reviewOverdue: z.boolean().describe('reviewed a year ago or more, or never (no lastReviewed): its owner gets a review task'),
});
export const publishedMap = z.object({ id: z.string(), version: z.number().int() });

const migrationPlan = z.object({
  from: z.string(),
  to: z.string(),
  stage: z.object({ from: z.string(), to: z.string() }),
  droppedTouchpoints: z.array(z.string()),
  addedTouchpoints: z.array(z.string()),
  droppedMilestones: z.array(z.string()),
  addedMilestones: z.array(z.string()),
});
const migrationResult = z.object({ customerId: z.string(), workflowId, outcome: z.enum(['migrated', 'would migrate', 'refused']), plan: migrationPlan.optional(), reason: z.string().optional() });
export const migrationReport = z.object({ migrated: z.number().int(), wouldMigrate: z.number().int(), refused: z.number().int(), results: z.array(migrationResult) });

export const suppression = z.object({ email: z.string(), customerId: z.string(), at: instant, source: z.enum(['link', 'one-click', 'api']) });

export const journeySummary = z.object({
  customerId: z.string(),
  workflowId,
  status: z.string(),
  stage: z.string().optional(),
  segment: z.string().optional(),
  atRisk: z.boolean().optional(),
  term: z.number().int().optional(),
  map: z.string().optional().describe('<mapId>@<version>'),
  owners: z.array(z.string()).optional(),
  startedAt: instant,
  company: z.string().optional().describe('From the engine database: absent until the journey first recorded its facts'),
});

export const caughtMail = z.object({
  id: z.string(),
  receivedAt: instant,
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  messageId: z.string().optional(),
  journeyKey: z.string().optional(),
  text: z.string(),
  attachments: z.array(z.object({ filename: z.string().optional(), contentType: z.string(), size: z.number().int() })),
});

/** The journey as it stands: contracts/journey.ts JourneyState (its main fields here; an object schema leaves the rest open), its workflow id and Temporal status. */
export const journeyState = z
  .object({
    workflowId,
    status: z.string().describe('Temporal\'s: RUNNING, COMPLETED, ...'),
    customerId: z.string(),
    mapId: z.string(),
    mapVersion: z.number().int(),
    term: z.number().int(),
    stage: z.string(),
    atRisk: z.boolean(),
    milestones: z.array(z.object({ id: z.string(), status: z.enum(['pending', 'reached', 'missed']) })),
    touchpoints: z.array(z.object({ key: z.string(), status: z.enum(['pending', 'done', 'skipped', 'failed', 'unconfirmed']), dueAt: instant })),
    bookings: z.array(bookingSchema),
    tasks: z.array(ownerTask),
  })
  .meta({ id: 'JourneyState', description: 'The journey as it stands (contracts/journey.ts JourneyState: these fields and more): stage, milestones, touchpoints, bookings, tasks, risk, term, outcome.' });

/** The codec's answer: each payload in protobuf JSON, both fields present. */
export const codecPayloads = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string().describe('base64')), data: z.string().describe('base64') })) });

export const inboundIgnored = z.object({ ignored: z.literal(true), reason: z.string() });
export const inboundMapped = deliveredEvent.extend({ type: z.string().describe('the event type the mapping made'), dropped: z.array(z.string()).optional().describe('fields it left out') });

/** One way only (the answer may carry more than described): every JourneyState answer fits the description. */
type Fits<A, B> = [A] extends [B] ? true : false;
const answersMatchTheirTypes: [
  Same<z.infer<typeof startedJourney>, StartedJourney>,
  Same<z.infer<typeof bookingSchema>, Booking>,
  Same<z.infer<typeof ownerTask>, OwnerTask>,
  Same<z.infer<typeof listedTask>, ListedTask>,
  Same<z.infer<typeof ownerReassignment>, OwnerReassignment>,
  Same<z.infer<typeof mapVersion>, MapVersionSummary>,
  Same<z.infer<typeof migrationPlan>, MigrationPlan>,
  Same<z.infer<typeof migrationResult>, MigrationResult>,
  Same<z.infer<typeof suppression>, Suppression>,
  Same<z.infer<typeof journeySummary>, JourneySummary>,
  Same<z.infer<typeof caughtMail>, CaughtMail>,
  Fits<JourneyState & { workflowId: string; status: string }, z.infer<typeof journeyState>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void answersMatchTheirTypes;
