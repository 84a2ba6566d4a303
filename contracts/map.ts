/**
 * The journey-map language: the contract between the people who draw maps and the interpreter. A map is
 * data; src/maps/schema.ts validates it (with zod, which stays out of the workflow bundle) and proves at
 * compile time that what it accepts is exactly these types.
 */

/** Days of the week as maps name them, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** How a step ended, for touchpoints that depend on it (a follow-up only for those who attended). */
export const STEP_OUTCOMES = ['done', 'attended', 'no-show', 'failed', 'skipped'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

/**
 * When something happens: a whole number of days from an anchor. From a milestone, that many days after
 * it is reached, and not at all while it is not.
 */
export interface Timing {
  days: number;
  from: 'stageEntry' | 'purchase' | 'renewal' | 'milestone';
  milestone?: string;
}

/** When email may reach a contact: days of the week and hours (HH:MM), in the contact's time zone. */
export interface DeliveryWindow {
  days: Weekday[];
  from: string;
  to: string;
}

/** Which customers a touchpoint is for; every condition given must hold. */
export interface Audience {
  segments?: string[];
  plans?: string[];
  attributes?: Record<string, string | number | boolean>;
  /** An earlier step of this term ended so (checked when the touchpoint falls due). */
  stepOutcome?: { touchpoint: string; is: StepOutcome };
  /** The customer fell in one of these arms of the map's experiment. */
  experiment?: { id: string; arms: string[] };
}

/**
 * A split of the map's customers into arms, to learn which touchpoints help: each customer falls in one arm by
 * weight, decided by their id alone (the same arm on every replay, run and term), and audiences match on it.
 * An arm no touchpoint names is a holdout.
 */
export interface Experiment {
  id: string;
  name?: string;
  arms: { id: string; weight: number }[];
  /** The milestone the experiment is meant to move: what the console compares its arms on first. */
  milestone?: string;
}

/** One level of an escalation, `afterDays` after the miss: mark at risk, and give someone a task. */
export interface EscalationLevel {
  afterDays: number;
  markAtRisk: boolean;
  notify?: string;
}

interface TouchpointBase {
  id: string;
  owner: string;
  name?: string;
  audience?: Audience;
}

export interface EmailTouchpoint extends TouchpointBase {
  action: 'email';
  template: string;
  /** A service message: no unsubscribe link, and the frequency cap does not hold it back. */
  transactional: boolean;
  whenCapped: 'delay' | 'drop';
  window?: DeliveryWindow;
}

export interface MeetingTouchpoint extends TouchpointBase {
  action: 'call' | 'training';
  topic: string;
  durationMinutes: number;
  /** A no-show is booked again this many times, then the owner gets a task (none on maps pinned before follow-ups). */
  onNoShow: { rebook: number; task?: string };
}

export interface TaskTouchpoint extends TouchpointBase {
  action: 'task';
  title: string;
  dueInDays: number;
  onOverdue: EscalationLevel[];
}

export interface WebhookTouchpoint extends TouchpointBase {
  action: 'webhook';
  url: string;
  event: string;
}

export type Touchpoint = EmailTouchpoint | MeetingTouchpoint | TaskTouchpoint | WebhookTouchpoint;

/** A touchpoint placed in time: once at `at`, or every `every` days from `at` while the stage lasts. */
export type ScheduledTouchpoint = Touchpoint & { at: Timing; every?: number };

export interface Milestone {
  id: string;
  name: string;
  /** The product event that completes it: a type, fields that must match, and optionally a count in a window. */
  event: { type: string; match: Record<string, string>; count?: { times: number; withinDays: number } };
  due: Timing;
  onMissed: {
    markAtRisk: boolean;
    notify?: string;
    touchpoints: Touchpoint[];
    /** Further levels while the milestone stays unreached, each `afterDays` after the deadline. */
    then: (EscalationLevel & { touchpoints: Touchpoint[] })[];
  };
}

export interface Stage {
  id: string;
  name: string;
  owner: string;
  touchpoints: ScheduledTouchpoint[];
  milestones: Milestone[];
  /** Who enters the stage: a customer for whom these do not hold passes it over. */
  entry?: { milestones?: string[]; audience?: Omit<Audience, 'stepOutcome'> };
  /** The stage ends at the first of these; a stage with none lasts until the renewal outcome. */
  exit?: {
    event?: { type: string; match: Record<string, string> };
    milestones?: string[];
    afterDays?: number;
    daysBeforeRenewal?: number;
    atRiskIfIncomplete: boolean;
  };
}

/** When and how often a journey emails a contact. */
export interface Delivery {
  window?: DeliveryWindow;
  emailCap?: { max: number; perDays: number };
}

/** Journey-level goal: these milestones reached within some days of the purchase or of entering a stage. */
export interface Goal {
  id: string;
  name: string;
  milestones: string[];
  withinDays: number;
  from: 'purchase' | 'stageEntry';
  stage?: string;
}

export interface JourneyMap {
  id: string;
  version: number;
  name: string;
  /** Who keeps the map up to date: a role of the team (maps/team.yaml), whose holder gets the yearly review task. */
  owner?: string;
  /** When the owner last reviewed the map, as YYYY-MM-DD; absent: never reviewed (contracts/map-review.ts). */
  lastReviewed?: string;
  /** Segments that get this map when the purchase does not name one. */
  segments: string[];
  stages: Stage[];
  goals: Goal[];
  delivery: Delivery;
  renewal: { nextTermStage: string; termDays: number };
  experiments: Experiment[];
}
