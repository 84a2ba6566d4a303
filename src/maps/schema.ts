import { z } from 'zod';
import { roleName } from '../journeys/customer';
import '../zod-messages';
import { STEP_OUTCOMES, WEEKDAYS } from '../../contracts/map';
import { DAY_MS } from '../../contracts/time';
import type * as Contract from '../../contracts/map';
import { checkReferences } from './map-references';
import type { Same } from '../type-checks';

/**
 * The journey-map language's validation, element by element (the checks that tie elements together by
 * reference are in map-references.ts). Its types are the contract in contracts/map.ts (the interpreter
 * imports those, never zod); the checks at the end of this file prove that what these schemas accept is
 * exactly those types.
 */

/**
 * Every number of days a map names stays within ten years (the longest term a customer may have): a
 * day count of a billion would make a date no journey can compute.
 */
const MAX_DAYS = 3660;
const days = z.number().int().min(-MAX_DAYS).max(MAX_DAYS);
const dayCount = (min: number) => z.number().int().min(min).max(MAX_DAYS);

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes (e.g. "first-login")');

/** A role that owns a moment, resolved to a person from the customer's owners. */
const role = roleName;

/**
 * When something happens: a whole number of days from an anchor (stage entry unless named). From a
 * milestone, it happens that many days after the milestone is reached, and not at all while it is not.
 */
export const timingSchema = z
  .strictObject({
    days,
    from: z.enum(['stageEntry', 'purchase', 'renewal', 'milestone']).default('stageEntry'),
    milestone: id.optional(),
  })
  .refine((t) => (t.from === 'milestone') === (t.milestone !== undefined), {
    message: 'name the milestone exactly when timing is from: milestone',
    path: ['milestone'],
  });

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (e.g. "09:00")');

/** When email may reach a contact: days of the week and hours, in the contact's time zone. */
export const deliveryWindowSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: clockTime,
    to: clockTime,
  })
  .refine((w) => w.from < w.to, { message: 'must end after it starts', path: ['to'] });

export { STEP_OUTCOMES };

/** Which customers a touchpoint is for; every condition given must hold. */
export const audienceSchema = z.strictObject({
  segments: z.array(z.string().min(1)).min(1).optional(),
  plans: z.array(z.string().min(1)).min(1).optional(),
  /** Customer attributes that must equal these values (e.g. region: emea). */
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** An earlier step of this term ended so (checked when the touchpoint falls due): branching on outcomes. */
  stepOutcome: z.strictObject({ touchpoint: id, is: z.enum(STEP_OUTCOMES) }).optional(),
  /** The customer fell in one of these arms of the map's experiment (its `experiments`). */
  experiment: z.strictObject({ id, arms: z.array(id).min(1) }).optional(),
});

/** A split of customers into weighted arms (an A/B test, or a holdout: an arm no touchpoint names). */
export const experimentSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  arms: z.array(z.strictObject({ id, weight: z.number().int().min(1).max(1_000_000) })).min(2, 'an experiment needs at least two arms'),
  /** The milestone it is meant to move (a milestone of the map): what its arms are compared on first. */
  milestone: id.optional(),
});

/**
 * One level of an escalation, `afterDays` after the miss (a task's due date, a milestone's deadline):
 * mark the customer at risk, and give the owner's manager (or the person in another role) a task.
 */
export const escalationLevelSchema = z.strictObject({
  afterDays: dayCount(0),
  markAtRisk: z.boolean().default(false),
  notify: z.union([z.literal('manager'), role]).optional(),
});

const touchpointBase = {
  id,
  owner: role,
  name: z.string().min(1).optional(),
  audience: audienceSchema.optional(),
};

export const touchpointSchema = z.discriminatedUnion('action', [
  z.strictObject({
    ...touchpointBase,
    action: z.literal('email'),
    template: z.string().min(1),
    /** A service message (not marketing): no unsubscribe link, and the frequency cap does not hold it back. */
    transactional: z.boolean().default(false),
    /** What the frequency cap does with it when the contact already had their share: send it later, or not at all. */
    whenCapped: z.enum(['delay', 'drop']).default('delay'),
    /** This email's own window, instead of the map's (`delivery.window`). */
    window: deliveryWindowSchema.optional(),
  }),
  z.strictObject({
    ...touchpointBase,
    action: z.enum(['call', 'training']),
    topic: z.string().min(1),
    durationMinutes: z.number().int().min(15).max(480).default(30),
    /** A no-show is booked again this many times, then the owner gets a task. */
    onNoShow: z
      .strictObject({
        rebook: z.number().int().min(0).max(3).default(1),
        task: z.string().min(1).default('Follow up on a missed session'),
      })
      .default({ rebook: 1, task: 'Follow up on a missed session' }),
  }),
  z.strictObject({
    ...touchpointBase,
    action: z.literal('task'),
    title: z.string().min(1),
    dueInDays: dayCount(0).default(3),
    /** Escalation levels while the task is open past its due date. */
    onOverdue: z.array(escalationLevelSchema).default([]),
  }),
  z.strictObject({
    ...touchpointBase,
    action: z.literal('webhook'),
    /** Where the JSON goes (a CRM, a data warehouse); signed with WEBHOOK_SECRET, retried with backoff. */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    event: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'must be a dotted event name such as "journey.kickoff"'),
  }),
]);

/** A touchpoint placed in time: once at `at`, or every `every` days from `at` while the stage lasts. */
export const scheduledTouchpointSchema = touchpointSchema.and(
  z.strictObject({
    at: timingSchema,
    every: dayCount(1).optional(),
  }),
);

export const milestoneSchema = z.strictObject({
  id,
  name: z.string().min(1),
  /** The product event that completes it: a type, plus fields that must match exactly. */
  event: z.strictObject({
    type: z.string().min(1),
    match: z.record(z.string(), z.string()).default({}),
    /** Reached only after this many matching events within a window (3 logins in a week). */
    count: z.strictObject({ times: z.number().int().min(2).max(1000), withinDays: dayCount(1) }).optional(),
  }),
  due: timingSchema,
  onMissed: z
    .strictObject({
      markAtRisk: z.boolean().default(false),
      notify: z.union([z.literal('manager'), role]).optional(),
      touchpoints: z.array(touchpointSchema).default([]),
      /** Further levels while the milestone stays unreached, each `afterDays` after the deadline. */
      then: z.array(escalationLevelSchema.extend({ touchpoints: z.array(touchpointSchema).default([]) })).default([]),
    })
    .default({ markAtRisk: false, touchpoints: [], then: [] }),
});

export const stageSchema = z.strictObject({
  id,
  name: z.string().min(1),
  owner: role,
  touchpoints: z.array(scheduledTouchpointSchema).default([]),
  milestones: z.array(milestoneSchema).default([]),
  /** Who enters the stage: a customer for whom these do not hold when the stage before ends passes it over. */
  entry: z
    .strictObject({
      /** Milestones (of earlier stages) that must be reached. */
      milestones: z.array(id).min(1).optional(),
      audience: audienceSchema.omit({ stepOutcome: true }).optional(),
    })
    .optional(),
  /** The stage ends at the first of these; a stage with none lasts until the customer's renewal outcome. */
  exit: z
    .strictObject({
      /** A product event (e.g. expansion.signed with plan=enterprise). */
      event: z.strictObject({ type: z.string().min(1), match: z.record(z.string(), z.string()).default({}) }).optional(),
      /** All of these milestones reached. */
      milestones: z.array(id).optional(),
      /** A time limit after entering the stage. */
      afterDays: dayCount(1).optional(),
      /** The renewal window opening: this many days before the renewal date. */
      daysBeforeRenewal: dayCount(0).optional(),
      /** Mark the customer at risk when the stage ends on its time limit with exit milestones unmet. */
      atRiskIfIncomplete: z.boolean().default(false),
    })
    .optional(),
});


/** When and how often a journey emails a contact; times are in the contact's time zone. */
export const deliverySchema = z.strictObject({
  /** Emails due outside it wait for it to open (a touchpoint due at 03:00 goes out at 09:00). */
  window: deliveryWindowSchema.optional(),
  /** At most `max` journey emails per contact in any `perDays` days; each touchpoint says whether to delay or drop. */
  emailCap: z.strictObject({ max: z.number().int().min(1).max(1000), perDays: dayCount(1) }).optional(),
});

/**
 * A review date: a real calendar day, not in the future. Up to a day past today in UTC, as it is already that
 * date east of UTC (up to 14 hours ahead) for a reviewer there.
 */
const reviewDate = z.iso
  .date({ error: 'must be a date as YYYY-MM-DD (e.g. "2026-03-15")', abort: true })
  .refine((date) => date <= new Date(Date.now() + DAY_MS).toISOString().slice(0, 10), { error: 'must not be in the future' });

export const journeyMapSchema = z
  .strictObject({
    id,
    /** Versions count up one at a time; a million leaves room for every review a map will ever have. */
    version: z.number().int().min(1).max(1_000_000),
    name: z.string().min(1),
    /** Who keeps the map up to date: a role of the team, whose holder gets a task when a review falls due. */
    owner: role.optional(),
    /** When the owner last reviewed the map; a review falls due a year later (contracts/map-review.ts). */
    lastReviewed: reviewDate.optional(),
    /** Segments that get this map when the purchase does not name one. */
    segments: z.array(z.string().min(1)).default([]),
    stages: z.array(stageSchema).min(1),
    /** Journey-level goals, recorded as met or missed with when (e.g. onboarding complete within 30 days). */
    goals: z
      .array(
        z.strictObject({
          id,
          name: z.string().min(1),
          /** Met when all these milestones are reached... */
          milestones: z.array(id).min(1),
          /** ...within this many days of the purchase, or of the customer first entering `stage`. */
          withinDays: dayCount(1),
          from: z.enum(['purchase', 'stageEntry']).default('purchase'),
          stage: id.optional(),
        }).refine((goal) => (goal.from === 'stageEntry') === (goal.stage !== undefined), {
          message: 'name the stage exactly when the goal counts from: stageEntry',
          path: ['stage'],
        }),
      )
      .default([]),
    delivery: deliverySchema.default({}),
    /** Splits of the customers into arms that touchpoint audiences match on (experiment.assigned facts). */
    experiments: z.array(experimentSchema).default([]),
    renewal: z.strictObject({
      /** The stage a renewed customer starts the next term in. */
      nextTermStage: id,
      /** Length of a term, to set the next renewal date when the renewal event names none. */
      termDays: dayCount(1).default(365),
    }),
  })
  .superRefine(checkReferences);

export type { Audience, Delivery, EscalationLevel, JourneyMap, Milestone, ScheduledTouchpoint, Stage, Timing, Touchpoint } from '../../contracts/map';

/**
 * True when what the schema accepts is a valid contract value. Used where the contract is wider on purpose:
 * it can say "no follow-up task after a no-show" (maps pinned before follow-ups), which a new map cannot.
 */
type Readable<Schema, Contract> = [Schema] extends [Contract] ? true : false;
const schemasMatchTheContract: [
  Same<z.infer<typeof timingSchema>, Contract.Timing>,
  Same<z.infer<typeof audienceSchema>, Contract.Audience>,
  Same<z.infer<typeof escalationLevelSchema>, Contract.EscalationLevel>,
  Same<z.infer<typeof deliverySchema>, Contract.Delivery>,
  Same<z.infer<typeof experimentSchema>, Contract.Experiment>,
  Readable<z.infer<typeof touchpointSchema>, Contract.Touchpoint>,
  Readable<z.infer<typeof scheduledTouchpointSchema>, Contract.ScheduledTouchpoint>,
  Readable<z.infer<typeof milestoneSchema>, Contract.Milestone>,
  Readable<z.infer<typeof stageSchema>, Contract.Stage>,
  Readable<z.infer<typeof journeyMapSchema>, Contract.JourneyMap>,
  // ...and wider in nothing else: with the follow-up task required, the two agree exactly.
  Same<z.infer<typeof touchpointSchema>, WithFollowUpTask<Contract.Touchpoint>>,
] = [true, true, true, true, true, true, true, true, true, true, true];
type WithFollowUpTask<T> = T extends { action: 'call' | 'training'; onNoShow: infer N } ? Omit<T, 'onNoShow'> & { onNoShow: Required<N> } : T;
void schemasMatchTheContract;
