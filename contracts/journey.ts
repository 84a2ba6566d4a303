/**
 * A journey's state and what it exchanges with the world: its input and result, the records it keeps,
 * what activities hand back to it, and the payloads of its messages. Workflow code, activities, services
 * and tests share these; they import nothing of the project but other contracts.
 */
import type { Customer, Owner, Person } from './customer';
import type { JourneyMap, Touchpoint } from './map';
import type { ProductEvent } from './events';

/** A call or training session booked for a touchpoint (what bookMeeting returns). */
export interface BookedMeeting {
  bookingId: string;
  kind: 'call' | 'training';
  topic: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  owner: Person;
  /** Who leads a training session (and organizes it in the calendar); a call is the owner's. */
  trainer?: Person;
  /** The iCalendar SEQUENCE last sent: 0 when booked, one more with every change. */
  sequence: number;
  status: 'booked' | 'cancelled';
}

export type MeetingChange = { type: 'reschedule'; startsAt: string } | { type: 'cancel'; reason: string };

/** A task given to an owner (what createOwnerTask returns). */
export interface CreatedTask {
  taskId: string;
  title: string;
  owner: Person;
  dueAt: string;
}

/** A published version of a map in the registry. */
export interface PublishedMap {
  map: JourneyMap;
  publishedAt: string;
}

export interface JourneyInput {
  customer: Customer;
  /** The map as data, pinned at start: editing a map file never changes a journey in flight. */
  map: JourneyMap;
  /** Present when this run continues an earlier one (the next term, or a long term's fresh history). */
  state?: JourneyState;
  /** A compressed clock for demos and for checking a map live: one journey day lasts `dayMs` real milliseconds. */
  clock?: { dayMs: number };
  /**
   * The interpreter revision the journey was started for (JOURNEY_REVISION when the engine started it; absent
   * for journeys started before revisions). A journey of a revision runs every change that revision includes
   * without patch markers, which cost two history events per change per run; older ones ask `patched()`.
   */
  revision?: number;
}

/**
 * What journeys started now run. Revision 2 includes the patches `journey-facts`, `task-owners-search-attribute`,
 * `owner-task-on-failure` and `quiet-waits`; revision 3 adds `facts-with-touchpoints`. A change after it is a
 * `patched()` of its own until the next revision.
 * Workers must know a revision before an API starts journeys with it: upgrade workers first.
 */
export const JOURNEY_REVISION = 3;

export interface JourneyResult {
  /** Churned (the customer left), or cancelled by someone on the team, with their reason. */
  outcome: 'churned' | 'cancelled';
  reason?: string;
  terms: number;
  endedAt: string;
}

export interface TouchpointRecord {
  /** Unique within the term: touchpoint id and occurrence (recurring touchpoints repeat). */
  key: string;
  touchpointId: string;
  occurrence: number;
  name: string;
  stage: string;
  action: Touchpoint['action'];
  ownerRole: string;
  owner: Person;
  /** Why it exists: the map's schedule, or the escalation of a missed milestone. */
  trigger: string;
  /** Part of a cadence (every N days): it stops when its stage ends. */
  recurs: boolean;
  dueAt: string;
  /** Done (or skipped, failed), or 'unconfirmed': handed over when the worker stopped, and not repeated. */
  status: 'pending' | 'done' | 'skipped' | 'failed' | 'unconfirmed';
  /** An email held back by the delivery window or the frequency cap goes out then, and why. */
  sendAt?: string;
  heldBack?: string;
  /** A task the journey made up on the way (an escalation, a follow-up), not a touchpoint of the map. */
  task?: { title: string; dueInDays: number };
  doneAt?: string;
  result?: string;
}

export interface MilestoneRecord {
  id: string;
  name: string;
  stage: string;
  status: 'pending' | 'reached' | 'missed';
  dueAt?: string;
  reachedAt?: string;
  missedAt?: string;
  eventId?: string;
  /** For milestones that need several events: when the matching ones occurred (the recent ones). */
  matches?: string[];
  /** How many of its escalation levels after the miss have run. */
  escalations?: number;
}

/** A call or training session the journey booked, the touchpoint occurrence it came from, and who came. */
export type Booking = BookedMeeting & { touchpointKey: string; attendance?: 'attended' | 'no-show' };

/** A task the journey gave an owner, the touchpoint occurrence it came from, and how it ended. */
export type OwnerTask = CreatedTask & {
  touchpointKey: string;
  ownerRole?: string;
  /** Absent on tasks from before tasks could be completed: those count as open. */
  status?: 'open' | 'done';
  completedAt?: string;
  outcome?: string;
  notes?: string;
  /** How many of the task's overdue escalation levels have run. */
  escalations?: number;
};

export interface TaskCompletion {
  taskId: string;
  outcome: string;
  notes?: string;
  completedBy?: string;
}

export interface OwnerReassignment {
  role: string;
  owner: Owner;
  previous?: Owner;
  movedTasks: string[];
  movedTouchpoints: string[];
}

export interface MeetingChangeRequest {
  bookingId: string;
  change: MeetingChange;
}

export interface GoalRecord {
  id: string;
  name: string;
  status: 'pending' | 'met' | 'missed';
  /** Unset while a goal counted from a stage waits for the customer to enter it. */
  dueAt?: string;
  /** When it was met (the last of its milestones) or found missed. */
  at?: string;
}

export interface JourneyState {
  customerId: string;
  mapId: string;
  mapVersion: number;
  term: number;
  termStartedAt: string;
  /** The renewal moment on this journey's clock (compressed on a demo clock). */
  renewalDate: string;
  /** How long a journey day lasts here: a real day, or less on a demo clock. */
  dayMs: number;
  /** When this journey began; touchpoints due more than a day before it are skipped, not sent late. */
  journeyStartedAt: string;
  stage: string;
  stageEnteredAt: string;
  stageHistory: { stage: string; enteredAt: string; leftAt?: string; reason?: string }[];
  milestones: MilestoneRecord[];
  touchpoints: TouchpointRecord[];
  bookings: Booking[];
  tasks: OwnerTask[];
  atRisk: boolean;
  atRiskReasons: { reason: string; at: string }[];
  /** How the term ends: the event that renewed or churned it, or a person's cancellation with their reason. */
  outcome?: { type: 'renewed' | 'churned'; at: string; eventId: string; renewsOn?: string } | JourneyCancellation;
  /** Paused by someone on the team: nothing is performed and no stage moves until the resume. */
  paused?: JourneyPause;
  /** Every pause that ended, with how long it lasted; carried from term to term. */
  pauses?: (JourneyPause & { resumedAt: string; resumedBy?: string })[];
  /** Product events that arrived while paused, in order: acted on at the resume. */
  heldEvents?: ProductEvent[];
  /** The arm of each of the map's experiments the customer fell in, and when (kept for good: by experiment id). */
  experimentArms?: Record<string, { arm: string; assignedAt: string }>;
  previousTerms: { term: number; startedAt: string; endedAt: string; outcome: string; touchpointsDone: number }[];
  eventsReceived: number;
  seenEventIds: string[];
  /** Signals refused because their payload was malformed (sent straight to Temporal, not through the API): the latest ones. */
  refusedSignals?: { signal: string; reason: string; at: string }[];
  /** The map's journey-level goals: met or missed, and when. */
  goals?: GoalRecord[];
  /** Every move of this journey to another map version, with what it changed. */
  migrations?: (MigrationPlan & { at: string })[];
  /** Who holds each role now: the purchase's owners, then reassignments. Absent on journeys from before reassignment. */
  owners?: Record<string, Owner>;
  /** The contact unsubscribed: no more journey emails to them. */
  unsubscribed?: { email: string; at: string };
  /** When journey emails went to the contact, for the frequency cap; carried from term to term. */
  emailsSentAt?: string[];
  /** The product event that ended the current stage (an exit on an event), once it arrived. */
  exitEvent?: { stage: string; eventId: string; at: string };
  /** How many batches of facts this journey has handed the engine database, over all its runs (each batch's sequence). */
  factBatches?: number;
  /**
   * Set on the state a run continues as new with, once every fact that state implies was recorded: the next
   * run does not send them again. Absent (journeys from before facts, a batch that failed): the next run sends
   * them, and the database keeps each once.
   */
  factsRecorded?: boolean;
}

/** A journey paused by someone on the team, and why. */
export interface JourneyPause {
  at: string;
  reason: string;
  by?: string;
}

/** A journey ended by someone on the team rather than by the customer. */
export interface JourneyCancellation {
  type: 'cancelled';
  at: string;
  reason: string;
  by?: string;
}

/** Who pauses, resumes or cancels a journey, and why (a resume needs no reason). */
export interface SteeringRequest {
  reason?: string;
  by?: string;
}

/** Moving a journey in flight to another map version: the target map, and where renamed things went. */
export interface MigrationRequest {
  map: JourneyMap;
  /** Old stage id → new stage id, for stages the new version renamed or merged. */
  stageMapping?: Record<string, string>;
  /** Old milestone id → new milestone id. */
  milestoneMapping?: Record<string, string>;
}

/** What a migration changes in one journey: shown by a dry run, returned by the migration. */
export interface MigrationPlan {
  from: string;
  to: string;
  stage: { from: string; to: string };
  /** Pending touchpoints the new version no longer has: they are skipped. */
  droppedTouchpoints: string[];
  /** Touchpoints of the current stage the new version adds: scheduled if still ahead, else skipped. */
  addedTouchpoints: string[];
  /** Milestones the new version no longer has: their records are dropped. */
  droppedMilestones: string[];
  addedMilestones: string[];
}

/**
 * A dry run's answer: the plan, or why the journey refuses the migration. An answer, not a failed query: a
 * query's failure reaches the client as its message alone, and failures' messages are encrypted in Temporal.
 */
export type MigrationPreview = { plan: MigrationPlan } | { refused: string };
