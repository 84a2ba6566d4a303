import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { BookedMeeting } from '../activities/meetings';
import type { CreatedTask } from '../activities/tasks';
import type { Customer, Owner, Person } from '../src/journeys/customer';
import type { ProductEvent } from '../src/journeys/events';
import type { Audience, EscalationLevel, JourneyMap, Milestone, Stage, Timing, Touchpoint } from '../src/maps/schema';
import { emailSendTime } from './email-pacing';
import {
  changeMeetingUpdate,
  completeTaskUpdate,
  contactUnsubscribedSignal,
  journeyStateQuery,
  migrateMapUpdate,
  migrationPreviewQuery,
  productEventSignal,
  reassignOwnerUpdate,
} from './messages';
import { findTouchpoint, milestoneDefinition, stageById, touchpointDefinition } from './map-lookups';
import { migrateMilestones, planMigration, type MigrationPlan, type MigrationRequest } from './migration';
import { journeyAtRiskKey, journeyMapKey, journeyOwnersKey, journeyStageKey, journeyTaskOwnersKey, journeyTermKey } from './search-attributes';

/** The billing events that end a term; the product's contract with every map. */
export const RENEWED_EVENT = 'renewal.renewed';
export const CHURNED_EVENT = 'renewal.churned';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Recent event ids kept to drop duplicates; carried into the next run. */
const SEEN_EVENT_IDS_KEPT = 1000;

/**
 * Touchpoints must never be lost, so transient failures (SMTP down) retry until they succeed;
 * only failures that retrying cannot fix (a malformed address) reach the journey as failed.
 */
const touchpointActivityOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  // Activities heartbeat while they work: a worker that dies mid-send is noticed in seconds, not a minute.
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
};
/** A meeting change answers a person waiting on the API: a few tries, then the change is refused with why. */
const meetingChangeActivityOptions: ActivityOptions = {
  ...touchpointActivityOptions,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
};
/** A receiver that stays down must not hold the journey: about ten minutes of retries, then the owner gets a task. */
const webhookActivityOptions: ActivityOptions = {
  ...touchpointActivityOptions,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 8 },
};
const touchpoints = proxyActivities<ReturnType<typeof createActivities>>(touchpointActivityOptions);

/** Failure types the journey handles in its own way (thrown as non-retryable by activities/mail.ts and src/delivery/ledger.ts). */
const CONTACT_UNSUBSCRIBED = 'ContactUnsubscribed';
const DELIVERY_UNCONFIRMED = 'DeliveryUnconfirmed';

/** Attendance events for booked sessions; `bookingId` names the session, else the latest one counts. */
export const ATTENDED_EVENT = 'training.attended';
export const NO_SHOW_EVENT = 'training.no_show';

export interface JourneyInput {
  customer: Customer;
  /** The map as data, pinned at start: editing a map file never changes a journey in flight. */
  map: JourneyMap;
  /** Present when this run continues an earlier one (the next term, or a long term's fresh history). */
  state?: JourneyState;
  /** A compressed clock for demos and for checking a map live: one journey day lasts `dayMs` real milliseconds. */
  clock?: { dayMs: number };
}

export interface JourneyResult {
  outcome: 'churned';
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
  change: { type: 'reschedule'; startsAt: string } | { type: 'cancel'; reason: string };
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
  outcome?: { type: 'renewed' | 'churned'; at: string; eventId: string; renewsOn?: string };
  previousTerms: { term: number; startedAt: string; endedAt: string; outcome: string; touchpointsDone: number }[];
  eventsReceived: number;
  seenEventIds: string[];
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
}

/** One customer's journey from purchase to churn: walks the map's stages, term after term. */
export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  const { customer } = input;
  let map = input.map; // a migration moves the journey to another map version
  let changes = 0; // every message that may change what is due next wakes the loop
  const s: JourneyState = input.state ?? firstTermState(customer, map, input.clock?.dayMs ?? DAY_MS);
  s.owners ??= { ...customer.owners };

  setHandler(productEventSignal, (event) => {
    if (recordEvent(s, customer, map, event)) changes += 1;
  });
  setHandler(contactUnsubscribedSignal, ({ email, at }) => {
    if (email.toLowerCase() !== customer.contact.email.toLowerCase() || s.unsubscribed) return;
    s.unsubscribed = { email, at };
    changes += 1;
  });
  setHandler(journeyStateQuery, () => s);
  setHandler(migrationPreviewQuery, (request) => planMigration(s, map, request));
  setHandler(
    migrateMapUpdate,
    (request) => {
      const plan = planMigration(s, map, request);
      map = migrate(s, customer, request, plan);
      changes += 1;
      return plan;
    },
    // Refused before it reaches history: a journey is never left in a stage or wait the target lacks.
    { validator: (request: MigrationRequest) => void planMigration(s, map, request) },
  );
  setHandler(
    completeTaskUpdate,
    (completion) => {
      const task = completeTask(s, completion);
      changes += 1;
      return task;
    },
    { validator: (completion: TaskCompletion) => void taskById(s, completion.taskId) },
  );
  setHandler(
    reassignOwnerUpdate,
    ({ role, owner }) => {
      const reassignment = reassignOwner(s, role, owner);
      changes += 1;
      return reassignment;
    },
    {
      validator: ({ role }: { role: string }) => {
        const roles = Object.keys(s.owners ?? customer.owners);
        if (!roles.includes(role)) fail(`this journey has no role "${role}" (roles: ${roles.join(', ')})`);
      },
    },
  );
  const meetingChanges = { busy: false };
  setHandler(changeMeetingUpdate, (request) => changeMeeting(s, customer, request, meetingChanges), {
    validator: (request: MeetingChangeRequest) => void changeableBooking(s, request.bookingId),
  });

  publishSearchAttributes(s);

  while (!s.outcome) {
    const stage = stageById(map, s.stage);
    recordGoals(s, map);
    // What fell due before the stage ended (a worker was down, a relay was slow) still happens.
    if (await runDueWork(s, customer, map, stage)) continue;
    if (runDueEscalations(s, customer, map, stage)) continue;
    const exitReason = stageExitReason(s, map, stage);
    if (exitReason) {
      advanceStage(s, customer, map, stage, exitReason);
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      // A busy term (many product events) gets a fresh history; the state carries on as it is, once a
      // meeting change in flight has finished.
      await condition(allHandlersFinished);
      await continueAsNew<typeof journeyWorkflow>({ ...input, map, state: s });
    }
    setCurrentDetails(currentDetails(s, customer, map, stage));
    const wakeAt = nextWakeTime(s, map, stage);
    const changesSeen = changes;
    const somethingHappened = () => changes !== changesSeen;
    if (wakeAt === undefined) await condition(somethingHappened);
    else await condition(somethingHappened, Math.max(wakeAt - Date.now(), 1));
  }

  await condition(allHandlersFinished); // a meeting change in flight finishes in this run, and is recorded
  if (s.outcome.type === 'renewed') {
    log.info('Customer renewed: the journey continues into the next term', { term: s.term + 1 });
    await continueAsNew<typeof journeyWorkflow>({ ...input, map, state: nextTermState(s, customer, map) });
  }
  const endedAt = iso(Date.now());
  leaveStage(s, 'churned', endedAt);
  upsertSearchAttributes([{ key: journeyStageKey, value: 'churned' }]);
  return { outcome: 'churned', terms: s.term, endedAt };
}

// ---------------------------------------------------------------------------------------------
// Terms and stages

function firstTermState(customer: Customer, map: JourneyMap, dayMs: number): JourneyState {
  const firstStage = map.stages[0]!;
  // A demo clock starts now: its days are counted from the moment the journey begins.
  const purchasedAt = dayMs === DAY_MS ? Date.parse(customer.purchaseDate) : Math.floor(Date.now());
  const termDays = (Date.parse(customer.renewalDate) - purchasedAt) / DAY_MS;
  const s: JourneyState = {
    customerId: customer.customerId,
    mapId: map.id,
    mapVersion: map.version,
    term: 1,
    termStartedAt: iso(purchasedAt),
    renewalDate: iso(purchasedAt + Math.round(termDays * dayMs)),
    dayMs,
    journeyStartedAt: iso(Date.now()),
    stage: firstStage.id,
    stageEnteredAt: iso(purchasedAt),
    stageHistory: [],
    milestones: map.stages.flatMap((stage) =>
      stage.milestones.map((m): MilestoneRecord => ({ id: m.id, name: m.name, stage: stage.id, status: 'pending' })),
    ),
    touchpoints: [],
    bookings: [],
    tasks: [],
    atRisk: false,
    atRiskReasons: [],
    previousTerms: [],
    eventsReceived: 0,
    seenEventIds: [],
  };
  // The first stage starts at the purchase, so a welcome due "at purchase" is never skipped.
  enterStage(s, customer, firstStage, purchasedAt);
  return s;
}

function nextTermState(s: JourneyState, customer: Customer, map: JourneyMap): JourneyState {
  const now = Date.now();
  // A renewal date named by billing counts when it moves the date forward; on a demo clock the term length stands in.
  const named =
    s.dayMs === DAY_MS && s.outcome?.renewsOn && s.outcome.renewsOn > s.renewalDate ? s.outcome.renewsOn : undefined;
  const renewsOn = named ?? iso(Date.parse(s.renewalDate) + map.renewal.termDays * s.dayMs);
  const stageIndex = map.stages.findIndex((stage) => stage.id === map.renewal.nextTermStage);
  const repeatedStages = new Set(map.stages.slice(stageIndex).map((stage) => stage.id));
  const next: JourneyState = {
    ...s,
    term: s.term + 1,
    termStartedAt: iso(now),
    renewalDate: renewsOn,
    stageHistory: [],
    // Milestones of the stages the new term runs again are armed again; earlier ones stay reached.
    milestones: s.milestones.map((m) =>
      repeatedStages.has(m.stage) ? { id: m.id, name: m.name, stage: m.stage, status: 'pending' } : m,
    ),
    touchpoints: [],
    bookings: [],
    // An owner's open task does not vanish with the term: it stays theirs until done. Those done in the
    // term that ends stay a term longer, so completing one again still answers its completion.
    tasks: s.tasks.filter((task) => task.status !== 'done' || (task.completedAt ?? '') >= s.termStartedAt),
    atRisk: false,
    atRiskReasons: [],
    outcome: undefined,
    exitEvent: undefined,
    previousTerms: [
      ...s.previousTerms,
      {
        term: s.term,
        startedAt: s.termStartedAt,
        endedAt: iso(now),
        outcome: 'renewed',
        touchpointsDone: s.touchpoints.filter((t) => t.status === 'done').length,
      },
    ],
  };
  leaveStage(s, 'renewed', iso(now));
  enterStage(next, customer, stageById(map, map.renewal.nextTermStage), now);
  return next;
}

function enterStage(s: JourneyState, customer: Customer, stage: Stage, at: number): void {
  s.stage = stage.id;
  s.stageEnteredAt = iso(at);
  s.stageHistory.push({ stage: stage.id, enteredAt: iso(at) });
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    const due = timeOf(s, milestone.due);
    if (record.status === 'pending' && due !== undefined) record.dueAt = iso(due);
  }
  for (const touchpoint of stage.touchpoints) {
    const due = timeOf(s, touchpoint.at);
    // Timed from a milestone not reached yet: scheduled when it is (see armMilestoneTimings).
    if (due !== undefined) schedule(s, customer, touchpoint, stage, 1, due, 'scheduled by the map');
  }
}

/** A milestone was reached: what the current stage times from it is scheduled now. */
function armMilestoneTimings(s: JourneyState, customer: Customer, map: JourneyMap, milestoneId: string): void {
  const stage = stageById(map, s.stage);
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    if (milestone.due.milestone === milestoneId && record.status === 'pending') record.dueAt = iso(timeOf(s, milestone.due)!);
  }
  for (const touchpoint of stage.touchpoints.filter((t) => t.at.milestone === milestoneId)) {
    if (s.touchpoints.some((t) => t.touchpointId === touchpoint.id)) continue;
    schedule(s, customer, touchpoint, stage, 1, timeOf(s, touchpoint.at)!, `milestone "${milestoneId}" reached`);
  }
}

function advanceStage(s: JourneyState, customer: Customer, map: JourneyMap, stage: Stage, reason: string): void {
  const now = Date.now();
  if (reason === 'time limit' && stage.exit?.atRiskIfIncomplete) {
    const unmet = (stage.exit.milestones ?? []).filter((id) => milestoneRecord(s, id).status !== 'reached');
    if (unmet.length > 0) markAtRisk(s, `${stage.name} ended on its time limit without: ${unmet.join(', ')}`);
  }
  // A customer who reached the milestones early still gets what the stage promised (the kickoff call);
  // a stage that ran out of time drops what it had not reached, and cadences always stop with their stage.
  leaveStage(s, reason, iso(now), { keepOneOffs: reason === 'milestones met' });
  // A stage whose entry conditions do not hold for this customer is passed over, and the history says why.
  let next = map.stages.indexOf(stage) + 1;
  for (let why = entryMismatch(s, customer, map.stages[next]!); why; why = entryMismatch(s, customer, map.stages[next]!)) {
    s.stageHistory.push({ stage: map.stages[next]!.id, enteredAt: iso(now), leftAt: iso(now), reason: `passed over: ${why}` });
    next += 1;
  }
  enterStage(s, customer, map.stages[next]!, now);
  publishSearchAttributes(s);
}

/** Why a stage's entry conditions exclude this customer now, or undefined when they may enter. */
function entryMismatch(s: JourneyState, customer: Customer, stage: Stage): string | undefined {
  if (!stage.entry) return undefined;
  const unmet = (stage.entry.milestones ?? []).filter((id) => milestoneRecord(s, id).status !== 'reached');
  if (unmet.length > 0) return `milestones not reached: ${unmet.join(', ')}`;
  return audienceMismatch(customer, stage.entry.audience);
}

function leaveStage(s: JourneyState, reason: string, at: string, options: { keepOneOffs?: boolean } = {}): void {
  const current = s.stageHistory[s.stageHistory.length - 1];
  if (current && !current.leftAt) Object.assign(current, { leftAt: at, reason });
  for (const record of s.touchpoints) {
    if (record.status !== 'pending' || (options.keepOneOffs && !record.recurs)) continue;
    // An email that fell due in the stage and only waits for its window or the cap still goes out.
    if (record.heldBack && record.dueAt <= at) continue;
    Object.assign(record, { status: 'skipped', result: `stage ended (${reason})` });
  }
}

/** The moments the stage's time rules end it, if it has them. */
function stageEndTimes(s: JourneyState, stage: Stage): { timeLimit?: number; renewalWindow?: number } {
  const exit = stage.exit;
  return {
    timeLimit: exit?.afterDays === undefined ? undefined : Date.parse(s.stageEnteredAt) + exit.afterDays * s.dayMs,
    renewalWindow:
      exit?.daysBeforeRenewal === undefined ? undefined : Date.parse(s.renewalDate) - exit.daysBeforeRenewal * s.dayMs,
  };
}

/** Why the current stage ends now, or undefined while it goes on. The last stage ends only with the term. */
function stageExitReason(s: JourneyState, map: JourneyMap, stage: Stage): string | undefined {
  if (stage === map.stages.at(-1)) return undefined;
  const exitMilestones = stage.exit?.milestones ?? [];
  if (exitMilestones.length > 0 && exitMilestones.every((id) => milestoneRecord(s, id).status === 'reached')) {
    return 'milestones met';
  }
  if (stage.exit?.event && s.exitEvent?.stage === stage.id) return `event ${stage.exit.event.type}`;
  const now = Date.now();
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  if (timeLimit !== undefined && now >= timeLimit) return 'time limit';
  if (renewalWindow !== undefined && now >= renewalWindow) return 'renewal window opened';
  return undefined;
}

/** The next moment something is due in this stage: a touchpoint, a milestone deadline, a stage end. */
function nextWakeTime(s: JourneyState, map: JourneyMap, stage: Stage): number | undefined {
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  const times = [
    ...s.touchpoints.filter((t) => t.status === 'pending').map(dueTime),
    ...dueEscalations(s, map, stage).map((e) => e.at),
    ...s.milestones
      .filter((m) => m.stage === stage.id && m.status === 'pending' && m.dueAt)
      .map((m) => Date.parse(m.dueAt!)),
    ...[timeLimit, renewalWindow].filter((time) => time !== undefined),
    ...(s.goals ?? []).filter((g) => g.status === 'pending' && g.dueAt).map((g) => Date.parse(g.dueAt!)),
  ];
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Moves the journey onto the request's map as planned; returns that map, which the journey follows from now on. */
function migrate(s: JourneyState, customer: Customer, request: MigrationRequest, plan: MigrationPlan): JourneyMap {
  const target = request.map;
  const now = Date.now();
  const stage = stageById(target, plan.stage.to);
  s.mapId = target.id;
  s.mapVersion = target.version;
  s.milestones = migrateMilestones(s, request);
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    const due = timeOf(s, milestone.due);
    // A milestone the new version adds gets a deadline only if it is still ahead.
    if (record.status === 'pending' && !record.dueAt && due !== undefined && due > now) record.dueAt = iso(due);
  }
  for (const record of s.touchpoints) {
    if (record.status === 'pending' && plan.droppedTouchpoints.includes(record.key)) {
      Object.assign(record, { status: 'skipped', result: `removed by the migration to ${plan.to}` });
    }
  }
  if (s.stage !== stage.id) {
    for (const record of s.touchpoints.filter((t) => t.status === 'pending' && t.stage === s.stage)) record.stage = stage.id;
    s.stage = stage.id;
    s.stageHistory.at(-1)!.stage = stage.id;
  }
  for (const touchpoint of stage.touchpoints.filter((t) => plan.addedTouchpoints.includes(t.id))) {
    const due = timeOf(s, touchpoint.at);
    if (due === undefined) continue; // timed from a milestone not reached yet: scheduled when it is
    schedule(s, customer, touchpoint, stage, 1, due, `added by the migration to ${plan.to}`);
    const record = s.touchpoints.at(-1)!;
    if (due <= now && record.status === 'pending') Object.assign(record, { status: 'skipped', result: 'its time had passed when it was added' });
  }
  (s.migrations ??= []).push({ ...plan, at: iso(now) });
  upsertSearchAttributes([{ key: journeyMapKey, value: plan.to }]);
  publishSearchAttributes(s);
  return target;
}

/** Records each goal as met (all its milestones reached in time) or missed (its time passed without that). */
function recordGoals(s: JourneyState, map: JourneyMap): void {
  // Maps pinned by journeys that started before goals existed carry no `goals` at all.
  const goals = map.goals ?? [];
  if (goals.length === 0) return;
  const purchasedAt = Date.parse(s.previousTerms[0]?.startedAt ?? s.termStartedAt);
  s.goals ??= goals.map((goal) => ({ id: goal.id, name: goal.name, status: 'pending' }));
  for (const record of s.goals.filter((g) => g.status === 'pending')) {
    const goal = goals.find((g) => g.id === record.id);
    if (!goal) continue; // a migration dropped it
    if (!record.dueAt) {
      // Counted from the purchase, or from the first entry into a stage, once the customer gets there.
      const entered = goal.stage ? s.stageHistory.find((h) => h.stage === goal.stage && !h.reason?.startsWith('passed over'))?.enteredAt : undefined;
      const anchor = goal.stage ? (entered && Date.parse(entered)) : purchasedAt;
      if (!anchor) continue;
      record.dueAt = iso(anchor + goal.withinDays * s.dayMs);
    }
    const reached = goal.milestones.map((id) => s.milestones.find((m) => m.id === id));
    const times = reached.map((m) => (m?.status === 'reached' && m.reachedAt ? m.reachedAt : undefined));
    const metAt = times.every((t) => t !== undefined) ? times.sort().at(-1) : undefined;
    if (metAt && metAt <= record.dueAt) Object.assign(record, { status: 'met', at: metAt });
    else if (Date.now() >= Date.parse(record.dueAt)) Object.assign(record, { status: 'missed', at: iso(Date.now()) });
  }
}

// ---------------------------------------------------------------------------------------------
// Milestones and touchpoints

/** Runs the earliest piece of work that is due; says whether there was one. */
async function runDueWork(s: JourneyState, customer: Customer, map: JourneyMap, stage: Stage): Promise<boolean> {
  const now = Date.now();
  const missed = s.milestones.find(
    (m) => m.stage === stage.id && m.status === 'pending' && m.dueAt && Date.parse(m.dueAt) <= now,
  );
  if (missed) {
    escalateMissedMilestone(s, customer, stage, missed, milestoneDefinition(map, missed.id));
    return true;
  }
  const due = s.touchpoints
    .filter((t) => t.status === 'pending' && dueTime(t) <= now)
    .sort((a, b) => dueTime(a) - dueTime(b))[0];
  if (!due) return false;
  const touchpoint = due.task ? undefined : touchpointDefinition(map, due.touchpointId);
  if (touchpoint?.action === 'email' && holdBack(s, customer, map, touchpoint, due)) return true;
  await perform(s, customer, map, touchpoint, due);
  const recurring = stage.touchpoints.find((t) => t.id === touchpoint?.id && t.every !== undefined);
  if (recurring?.every !== undefined && s.stage === stage.id && due.recurs) {
    // After a long outage the cadence picks up from now: missed occurrences are not booked back to back.
    const interval = recurring.every * s.dayMs;
    let occurrence = due.occurrence + 1;
    let next = Date.parse(due.dueAt) + interval;
    for (; next <= Date.now(); next += interval) occurrence += 1;
    schedule(s, customer, recurring, stage, occurrence, next, due.trigger);
  }
  return true;
}

/** When a pending touchpoint is due: its time in the map, or later when the window or the cap held it back. */
function dueTime(record: TouchpointRecord): number {
  return Date.parse(record.sendAt ?? record.dueAt);
}

/**
 * Holds back an email the contact should not get now: outside the delivery window, or over the frequency
 * cap (then delayed, or dropped if the map says so). Says whether it held it back.
 */
function holdBack(s: JourneyState, customer: Customer, map: JourneyMap, touchpoint: Touchpoint & { action: 'email' }, record: TouchpointRecord): boolean {
  // Maps pinned before delivery rules existed have none; a touchpoint's own window wins over the map's.
  const delivery = { ...map.delivery, ...(touchpoint.window ? { window: touchpoint.window } : {}) };
  if (!delivery.window && !delivery.emailCap) return false;
  const now = Date.now();
  const sentAt = touchpoint.transactional ? [] : (s.emailsSentAt ?? []).map((t) => Date.parse(t));
  const options = { sentAt, timeZone: customer.timeZone, dayMs: s.dayMs, realDayMs: DAY_MS };
  const withCap = emailSendTime({ ...options, dueAt: now, delivery });
  if (withCap <= now) return false;
  const withoutCap = emailSendTime({ ...options, dueAt: now, delivery: { window: delivery.window } });
  const capped = withoutCap < withCap;
  const cap = delivery.emailCap;
  if (capped && touchpoint.whenCapped === 'drop') {
    Object.assign(record, { status: 'skipped', result: `frequency cap: ${cap?.max} emails in ${cap?.perDays} days`, doneAt: iso(now) });
    return true;
  }
  record.sendAt = iso(withCap);
  record.heldBack = capped ? `frequency cap: ${cap?.max} emails in ${cap?.perDays} days` : "outside the contact's delivery window";
  return true;
}

/** The escalations that are due or coming: further levels for missed milestones, and overdue tasks. */
function dueEscalations(s: JourneyState, map: JourneyMap, stage: Stage) {
  const due: { at: number; level: EscalationLevel & { touchpoints?: Touchpoint[] }; what: string; role: string; advance: () => void }[] = [];
  for (const record of s.milestones.filter((m) => m.stage === stage.id && m.status === 'missed' && m.dueAt)) {
    const levels = milestoneDefinition(map, record.id).onMissed.then ?? []; // absent on maps pinned before levels
    const level = levels[record.escalations ?? 0];
    if (!level) continue;
    due.push({
      at: Date.parse(record.dueAt!) + level.afterDays * s.dayMs,
      level,
      what: `milestone "${record.name}" still not reached`,
      role: stage.owner,
      advance: () => void (record.escalations = (record.escalations ?? 0) + 1),
    });
  }
  for (const task of s.tasks.filter((t) => t.status !== 'done')) {
    const definition = findTouchpoint(map, task.touchpointKey.split('#')[0]!);
    const level = definition?.action === 'task' ? (definition.onOverdue ?? [])[task.escalations ?? 0] : undefined;
    if (!level) continue;
    due.push({
      at: Date.parse(task.dueAt) + level.afterDays * s.dayMs,
      level,
      what: `task "${task.title}" overdue (owner ${task.owner.name})`,
      role: task.ownerRole ?? definition!.owner,
      advance: () => void (task.escalations = (task.escalations ?? 0) + 1),
    });
  }
  return due;
}

/** Runs the earliest escalation level that is due; says whether there was one. */
function runDueEscalations(s: JourneyState, customer: Customer, map: JourneyMap, stage: Stage): boolean {
  const now = Date.now();
  const due = dueEscalations(s, map, stage)
    .filter((e) => e.at <= now)
    .sort((a, b) => a.at - b.at)[0];
  if (!due) return false;
  due.advance();
  log.info('Escalation', { what: due.what });
  if (due.level.markAtRisk) markAtRisk(s, due.what);
  if (due.level.notify) notify(s, customer, stage, due.role, due.level.notify, due.what);
  for (const touchpoint of due.level.touchpoints ?? []) {
    schedule(s, customer, touchpoint, stage, 1, now, due.what);
  }
  return true;
}

/** Gives the owner's manager (or the person in another role) a task about something that went wrong. */
function notify(s: JourneyState, customer: Customer, stage: Stage, ownerRole: string, whom: string, what: string): void {
  const owner = ownerFor(s, customer, ownerRole);
  const manager = whom === 'manager';
  scheduleTask(s, customer, stage, {
    id: manager ? 'notify-manager' : `notify-${whom}`,
    title: `Escalation for ${customer.company}: ${what}`,
    role: manager ? ownerRole : whom,
    // No manager on record: the owner hears of it, so the escalation still reaches a person.
    owner: manager ? (owner.manager ?? owner) : undefined,
    trigger: what,
  });
}

function escalateMissedMilestone(s: JourneyState, customer: Customer, stage: Stage, record: MilestoneRecord, milestone: Milestone): void {
  const now = Date.now();
  record.status = 'missed';
  record.missedAt = iso(now);
  log.info('Milestone missed', { milestone: milestone.id });
  if (Date.parse(record.dueAt!) < Date.parse(s.journeyStartedAt) - s.dayMs) {
    // Missed before the journey began (a purchase reported late): no escalation, at any level.
    record.escalations = (milestone.onMissed.then ?? []).length;
    return;
  }
  const what = `missed milestone: ${milestone.name}`;
  if (milestone.onMissed.markAtRisk) markAtRisk(s, what);
  if (milestone.onMissed.notify) notify(s, customer, stage, stage.owner, milestone.onMissed.notify, what);
  for (const touchpoint of milestone.onMissed.touchpoints) {
    schedule(s, customer, touchpoint, stage, 1, now, `milestone "${milestone.name}" missed`);
  }
}

/** Records a product event; says whether it was new (the same eventId twice counts once). */
function recordEvent(s: JourneyState, customer: Customer, map: JourneyMap, event: ProductEvent): boolean {
  if (s.seenEventIds.includes(event.eventId)) return false;
  s.seenEventIds.push(event.eventId);
  if (s.seenEventIds.length > SEEN_EVENT_IDS_KEPT) s.seenEventIds.shift();
  s.eventsReceived += 1;

  // An outcome that occurred before this term began is about an earlier term (a billing retry): it changes nothing.
  const aboutThisTerm = event.occurredAt >= s.termStartedAt;
  if (aboutThisTerm && event.type === CHURNED_EVENT) {
    // Churn wins even over a renewal not yet acted on: a churned customer must not be carried into a new term.
    s.outcome = { type: 'churned', at: event.occurredAt, eventId: event.eventId };
  } else if (aboutThisTerm && event.type === RENEWED_EVENT && !s.outcome && !repeatsTheRenewal(s, event)) {
    s.outcome = {
      type: 'renewed',
      at: event.occurredAt,
      eventId: event.eventId,
      ...(typeof event.renewsOn === 'string' ? { renewsOn: event.renewsOn } : {}),
    };
  }
  if (event.type === ATTENDED_EVENT || event.type === NO_SHOW_EVENT) recordAttendance(s, customer, map, event);
  const exit = stageById(map, s.stage).exit?.event;
  if (exit && s.exitEvent?.stage !== s.stage && event.occurredAt >= s.stageEnteredAt && matches(exit, event)) {
    s.exitEvent = { stage: s.stage, eventId: event.eventId, at: event.occurredAt };
  }
  for (const record of s.milestones) {
    if (record.status === 'reached') continue;
    const milestone = milestoneDefinition(map, record.id);
    if (!matches(milestone.event, event)) continue;
    const count = milestone.event.count;
    let reachedAt = event.occurredAt;
    if (count) {
      // "3 logins in a week": some window of that length holds enough matches (events may arrive out of order).
      const windowMs = count.withinDays * s.dayMs;
      const all = [...(record.matches ?? []), event.occurredAt].sort();
      const latest = Date.parse(all.at(-1)!);
      record.matches = all.filter((at) => Date.parse(at) > latest - 2 * windowMs); // older ones can never count again
      const full = record.matches.findIndex((_, i) => {
        const end = record.matches![i + count.times - 1];
        return end !== undefined && Date.parse(end) - Date.parse(record.matches![i]!) < windowMs;
      });
      if (full < 0) continue;
      reachedAt = record.matches[full + count.times - 1]!;
    }
    Object.assign(record, { status: 'reached', reachedAt, eventId: event.eventId });
    if (record.stage === s.stage) armMilestoneTimings(s, customer, map, record.id);
  }
  return true;
}

/**
 * A renewal reported again under another event id (a billing retry without occurredAt, stamped on arrival)
 * within a day of the renewal that began this term is that renewal, not the next one.
 */
function repeatsTheRenewal(s: JourneyState, event: ProductEvent): boolean {
  const renewedIntoThisTerm = s.previousTerms.at(-1)?.outcome === 'renewed';
  return renewedIntoThisTerm && Date.parse(event.occurredAt) < Date.parse(s.termStartedAt) + s.dayMs;
}

function matches(pattern: { type: string; match: Record<string, string> }, event: ProductEvent): boolean {
  if (event.type !== pattern.type) return false;
  return Object.entries(pattern.match).every(([field, value]) => String(event[field]) === value);
}

/**
 * Who came to a booked session. A no-show is booked again as many times as the map allows, then the
 * owner gets a task to follow up by hand.
 */
function recordAttendance(s: JourneyState, customer: Customer, map: JourneyMap, event: ProductEvent): void {
  // Without a bookingId, the latest session that had begun when the event occurred.
  const booking =
    typeof event.bookingId === 'string'
      ? s.bookings.find((b) => b.bookingId === event.bookingId)
      : s.bookings.filter((b) => !b.attendance && b.status !== 'cancelled' && b.startsAt <= event.occurredAt).at(-1);
  if (!booking || booking.attendance) return;
  booking.attendance = event.type === ATTENDED_EVENT ? 'attended' : 'no-show';
  if (booking.attendance === 'attended') return;
  const record = s.touchpoints.find((t) => t.key === booking.touchpointKey);
  const touchpoint = record && findTouchpoint(map, record.touchpointId);
  if (!record || !touchpoint || (touchpoint.action !== 'call' && touchpoint.action !== 'training')) return;
  // Maps pinned before no-shows had follow-ups record the attendance, and nothing more.
  const onNoShow = touchpoint.onNoShow as typeof touchpoint.onNoShow | undefined;
  if (!onNoShow) return;
  // Rebookings of one session are counted, and keyed, apart from the touchpoint's other sessions (a cadence's next one).
  const session = record.key.split('/rebook-')[0]!;
  const rebooks = s.touchpoints.filter((t) => t.key.startsWith(`${session}/rebook-`)).length;
  const stage = stageOf(map, s, record);
  if (rebooks < onNoShow.rebook) {
    schedule(s, customer, touchpoint, stage, record.occurrence, Date.now(), REBOOKED, { recurs: false, key: `${session}/rebook-${rebooks + 1}` });
  } else {
    scheduleTask(s, customer, stage, { id: `${touchpoint.id}-no-show`, title: `${onNoShow.task}: ${customer.company} missed "${booking.topic}"`, role: touchpoint.owner, trigger: 'no-show' });
  }
}
const REBOOKED = 'rebooked after a no-show';

function schedule(
  s: JourneyState,
  customer: Customer,
  touchpoint: Touchpoint,
  stage: Stage,
  occurrence: number,
  dueAt: number,
  trigger: string,
  options: { recurs?: boolean; key?: string } = {},
): void {
  const late = dueAt < Date.parse(s.journeyStartedAt) - s.dayMs;
  const notFor = audienceMismatch(customer, touchpoint.audience);
  s.touchpoints.push({
    key: options.key ?? `${touchpoint.id}#${occurrence}`,
    touchpointId: touchpoint.id,
    occurrence,
    name: touchpoint.name ?? touchpoint.id,
    stage: stage.id,
    action: touchpoint.action,
    ownerRole: touchpoint.owner,
    owner: ownerFor(s, customer, touchpoint.owner),
    trigger,
    recurs: options.recurs ?? ('every' in touchpoint && touchpoint.every !== undefined),
    dueAt: iso(dueAt),
    // A purchase reported long after the fact does not get a welcome months late.
    ...(notFor
      ? { status: 'skipped', result: `not for this customer (${notFor})` }
      : late
        ? { status: 'skipped', result: 'due before the journey began' }
        : { status: 'pending' }),
  });
}

/** A task the journey makes up on the way (escalations, follow-ups), for the person in a role or a named person. */
function scheduleTask(
  s: JourneyState,
  customer: Customer,
  stage: Stage,
  task: { id: string; title: string; role: string; owner?: Person; trigger: string; dueInDays?: number },
): void {
  const occurrence = s.touchpoints.filter((t) => t.touchpointId === task.id).length + 1;
  s.touchpoints.push({
    key: `${task.id}#${occurrence}`,
    touchpointId: task.id,
    occurrence,
    name: task.title,
    stage: stage.id,
    action: 'task',
    ownerRole: task.role,
    owner: task.owner ?? ownerFor(s, customer, task.role),
    trigger: task.trigger,
    recurs: false,
    dueAt: iso(Date.now()),
    status: 'pending',
    task: { title: task.title, dueInDays: task.dueInDays ?? 2 },
  });
}

/** Performs one touchpoint through its activity; a failure retrying cannot fix is recorded, and the owner told. */
async function perform(s: JourneyState, customer: Customer, map: JourneyMap, touchpoint: Touchpoint | undefined, record: TouchpointRecord) {
  const owner = record.owner;
  // The idempotency key: the same touchpoint occurrence of the same term of this journey is delivered once,
  // whatever the retries. The first run id tells this journey from an earlier one of a returning customer.
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const key = `${workflowId}/${firstExecutionRunId}/term-${s.term}/${record.key}`;
  // Templates speak of this term's renewal, not the first one's.
  const termCustomer = { ...customer, renewalDate: s.renewalDate };
  const stage = stageOf(map, s, record);
  const journey = { stage: stage.id, stageName: stage.name, term: s.term, mapName: map.name };
  const base = { key, customer: termCustomer, owner, ownerRole: record.ownerRole, touchpointName: record.name, journey };
  const action = touchpoint ?? { action: 'task' as const, ...record.task!, owner: record.ownerRole };
  const stepOutcome = touchpoint?.audience?.stepOutcome;
  const notNow = stepOutcome && stepOutcomeMismatch(s, stepOutcome);
  if (notNow) {
    Object.assign(record, { status: 'skipped', result: `not for this customer (${notNow})`, doneAt: iso(Date.now()) });
    return;
  }
  if (s.unsubscribed && (action.action === 'email' || action.action === 'call' || action.action === 'training')) {
    unsubscribedInstead(s, customer, stage, record);
    return;
  }
  try {
    switch (action.action) {
      case 'email': {
        const sent = await touchpoints.sendTouchpointEmail.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Email "${record.name}" to ${termCustomer.contact.email}` },
          [{ ...base, template: action.template, transactional: action.transactional ?? false }],
        );
        record.result = `email sent to ${sent.to.join(', ')}`;
        if (!action.transactional) s.emailsSentAt = [...(s.emailsSentAt ?? []), iso(Date.now())].slice(-50);
        break;
      }
      case 'call':
      case 'training': {
        const booking = await touchpoints.bookMeeting.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Book ${action.action} "${action.topic}" with ${owner.name}` },
          [
            {
              ...base,
              kind: action.action,
              topic: action.topic,
              durationMinutes: action.durationMinutes,
              notBefore: record.dueAt,
            },
          ],
        );
        s.bookings.push({ ...booking, touchpointKey: record.key });
        const trainer = booking.trainer ? ` with ${booking.trainer.name}` : '';
        record.result = `${action.action} booked for ${booking.startsAt} (${booking.timeZone})${trainer}`;
        break;
      }
      case 'task': {
        const task = await touchpoints.createOwnerTask.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Task "${action.title}" for ${owner.name}` },
          [{ ...base, title: action.title, dueAt: iso(Date.now() + action.dueInDays * s.dayMs) }],
        );
        s.tasks.push({ ...task, touchpointKey: record.key, ownerRole: record.ownerRole, status: 'open' });
        // Journeys from before tasks were listed by owner keep their recorded commands.
        if (patched('task-owners-search-attribute')) publishTaskOwners(s);
        record.result = `task created for ${owner.email}`;
        break;
      }
      case 'webhook': {
        const delivery = await touchpoints.callWebhook.executeWithOptions(
          { ...webhookActivityOptions, summary: `Webhook ${action.event} to ${action.url}` },
          [{ ...base, url: action.url, event: action.event, dueAt: record.dueAt, payload: webhookPayload(s) }],
        );
        // No status: not sent at all (a rehearsal), and the delivery id says why.
        record.result = delivery.status
          ? `webhook ${action.event} delivered to ${delivery.url} (${delivery.status})`
          : `webhook ${action.event} for ${delivery.url}: ${delivery.deliveryId}`;
        break;
      }
    }
    record.status = 'done';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause?.message ?? err.message;
    const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    if (type === CONTACT_UNSUBSCRIBED) {
      // The contact unsubscribed before the journey heard of it.
      s.unsubscribed ??= { email: customer.contact.email, at: iso(Date.now()) };
      unsubscribedInstead(s, customer, stage, record);
      return;
    }
    record.status = type === DELIVERY_UNCONFIRMED ? 'unconfirmed' : 'failed';
    record.result = reason;
    log.warn('Touchpoint failed for good', { touchpoint: record.key, reason });
    // A person picks up what the journey could not do (a bounced address, a CRM that stayed down), unless
    // it was that person's own task that failed. Journeys from before this rule are left as they were.
    if (action.action !== 'task' && patched('owner-task-on-failure')) {
      const check = record.status === 'unconfirmed' ? 'Check that it arrived' : 'Do it by hand';
      scheduleTask(s, customer, stage, { id: `${record.touchpointId}-failed`, title: `${check}: ${record.name} for ${customer.company} (${reason})`, role: record.ownerRole, trigger: `${record.name} ${record.status}` });
    }
  }
  record.doneAt = iso(Date.now());
}

/** The contact unsubscribed: no email goes to them; a session becomes a task for its owner to arrange directly. */
function unsubscribedInstead(s: JourneyState, customer: Customer, stage: Stage, record: TouchpointRecord): void {
  Object.assign(record, { status: 'skipped', result: 'contact unsubscribed from journey emails', doneAt: iso(Date.now()) });
  if (record.action === 'email') return;
  scheduleTask(s, customer, stage, {
    id: `${record.touchpointId}-direct`,
    title: `Arrange "${record.name}" with ${customer.contact.name} directly: they unsubscribed from journey emails`,
    role: record.ownerRole,
    trigger: 'contact unsubscribed',
  });
}

/** What a webhook tells the receiver about the journey, besides the customer and the touchpoint. */
function webhookPayload(s: JourneyState): Record<string, unknown> {
  return {
    stage: s.stage,
    term: s.term,
    atRisk: s.atRisk,
    renewalDate: s.renewalDate,
    milestonesReached: s.milestones.filter((m) => m.status === 'reached').map((m) => m.id),
  };
}

/** Why an earlier step's outcome rules a touchpoint out now, or undefined when it may go ahead. */
function stepOutcomeMismatch(s: JourneyState, condition: NonNullable<Audience['stepOutcome']>): string | undefined {
  const records = s.touchpoints.filter((t) => t.touchpointId === condition.touchpoint && t.status !== 'pending');
  const latest = records.at(-1);
  const booking = latest && s.bookings.find((b) => b.touchpointKey === latest.key);
  const outcome = booking?.attendance ?? latest?.status ?? 'not yet';
  return outcome === condition.is ? undefined : `${condition.touchpoint} was ${outcome}, not ${condition.is}`;
}

// ---------------------------------------------------------------------------------------------
// Tasks, owners and meetings (changed through updates from the API)

function taskById(s: JourneyState, taskId: string): OwnerTask {
  const task = s.tasks.find((t) => t.taskId === taskId);
  if (!task) fail(`this journey has no task "${taskId}"`, 'NotFound');
  return task;
}

/** Completes a task once; completing it again answers the first completion unchanged. */
function completeTask(s: JourneyState, completion: TaskCompletion): OwnerTask {
  const task = taskById(s, completion.taskId);
  if (task.status === 'done') return task;
  Object.assign(task, {
    status: 'done',
    completedAt: iso(Date.now()),
    outcome: completion.outcome,
    ...(completion.notes ? { notes: completion.notes } : {}),
  });
  publishTaskOwners(s);
  return task;
}

/** Someone else holds a role from now on: what is pending or open for that role moves to them. */
function reassignOwner(s: JourneyState, role: string, owner: Owner): OwnerReassignment {
  const owners = (s.owners ??= {});
  const previous = owners[role];
  owners[role] = owner;
  // What the previous holder had in this role moves; what reached someone else (a manager's escalation) stays.
  const theirs = (ownerRole: string | undefined, person: Person) =>
    (ownerRole === undefined || ownerRole === role) && person.email.toLowerCase() === previous?.email.toLowerCase();
  const movedTouchpoints = s.touchpoints.filter((t) => t.status === 'pending' && theirs(t.ownerRole, t.owner));
  for (const record of movedTouchpoints) record.owner = owner;
  const movedTasks = s.tasks.filter((t) => t.status !== 'done' && theirs(t.ownerRole, t.owner));
  for (const task of movedTasks) task.owner = owner;
  upsertSearchAttributes([{ key: journeyOwnersKey, value: [...new Set(Object.values(owners).map((o) => o.email))] }]);
  publishTaskOwners(s);
  return {
    role,
    owner,
    ...(previous ? { previous } : {}),
    movedTasks: movedTasks.map((t) => t.taskId),
    movedTouchpoints: movedTouchpoints.map((t) => t.key),
  };
}

function changeableBooking(s: JourneyState, bookingId: string): Booking {
  const booking = s.bookings.find((b) => b.bookingId === bookingId);
  if (!booking) fail(`this journey has no booking "${bookingId}"`, 'NotFound');
  if (booking.status === 'cancelled') fail(`booking "${bookingId}" is cancelled`);
  return booking;
}

/**
 * Reschedules or cancels a booking; the attendees get an updated invitation (or a cancellation) once.
 * Changes run one at a time (`lock`), each taking its sequence number from the booking the one before left.
 */
async function changeMeeting(s: JourneyState, customer: Customer, request: MeetingChangeRequest, lock: { busy: boolean }): Promise<Booking> {
  await condition(() => !lock.busy);
  lock.busy = true;
  try {
    return await changeMeetingNow(s, customer, request);
  } finally {
    lock.busy = false;
  }
}

async function changeMeetingNow(s: JourneyState, customer: Customer, request: MeetingChangeRequest): Promise<Booking> {
  const booking = changeableBooking(s, request.bookingId); // again: a change just before may have cancelled it
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const changed = await touchpoints.changeMeeting.executeWithOptions(
    { ...meetingChangeActivityOptions, summary: `${request.change.type === 'cancel' ? 'Cancel' : 'Reschedule'} ${booking.kind} "${booking.topic}"` },
    [
      {
        // The update's id (this runs only in the update handler): a client retrying the same change gets it
        // once; another change is another delivery.
        key: `${workflowId}/${firstExecutionRunId}/${booking.bookingId}/change-${currentUpdateInfo()!.id}`,
        customer: { ...customer, renewalDate: s.renewalDate },
        booking,
        change: request.change,
      },
    ],
  );
  // Read again: the journey may have moved on while the invitation went out.
  const current = s.bookings.find((b) => b.bookingId === request.bookingId)!;
  Object.assign(current, changed);
  return current;
}

// ---------------------------------------------------------------------------------------------
// Small lookups

function markAtRisk(s: JourneyState, reason: string): void {
  s.atRiskReasons.push({ reason, at: iso(Date.now()) });
  if (s.atRisk) return;
  s.atRisk = true;
  publishSearchAttributes(s);
}

function publishSearchAttributes(s: JourneyState): void {
  upsertSearchAttributes([
    { key: journeyStageKey, value: s.stage },
    { key: journeyAtRiskKey, value: s.atRisk },
    { key: journeyTermKey, value: s.term },
  ]);
}

/** Where the journey stands, for the Temporal UI's "current details" (markdown): ops read it without a query. */
function currentDetails(s: JourneyState, customer: Customer, map: JourneyMap, stage: Stage): string {
  const next = s.touchpoints.filter((t) => t.status === 'pending').sort((a, b) => dueTime(a) - dueTime(b))[0];
  const open = s.tasks.filter((t) => t.status !== 'done').length;
  return [
    `**${customer.company}** · ${map.name} v${map.version} · term ${s.term} · ${stage.name}${s.atRisk ? ' · **at risk**' : ''}`,
    next ? `Next: ${next.name} (${next.action}, ${next.owner.name}) at ${iso(dueTime(next))}` : 'Next: waiting for the customer',
    `Open tasks: ${open}`,
  ].join('\n\n');
}

function publishTaskOwners(s: JourneyState): void {
  const owners = s.tasks.filter((t) => t.status !== 'done').map((t) => t.owner.email);
  upsertSearchAttributes([{ key: journeyTaskOwnersKey, value: [...new Set(owners)] }]);
}

/** Why a touchpoint's audience excludes this customer, or undefined when it is for them. */
function audienceMismatch(customer: Customer, audience: Audience | undefined): string | undefined {
  if (!audience) return undefined;
  if (audience.segments && !audience.segments.includes(customer.segment)) return `segment ${customer.segment}`;
  if (audience.plans && !audience.plans.includes(customer.plan)) return `plan ${customer.plan}`;
  for (const [attribute, value] of Object.entries(audience.attributes ?? {})) {
    if (customer.attributes[attribute] !== value) return `${attribute} is ${String(customer.attributes[attribute] ?? 'unset')}`;
  }
  return undefined;
}

/** The person holding a role now; someone always owns the moment, so fall back to any owner the customer has. */
function ownerFor(s: JourneyState, customer: Customer, role: string): Owner {
  const owners = s.owners ?? customer.owners;
  const owner = owners[role] ?? Object.values(owners)[0];
  return owner ?? { name: customer.contact.name, email: customer.contact.email };
}

/** When a timing falls; undefined while it counts from a milestone not reached yet. */
function timeOf(s: JourneyState, timing: Timing): number | undefined {
  // "purchase" is the start of the term: the purchase itself, or the renewal that began this term.
  const milestone = timing.milestone ? s.milestones.find((m) => m.id === timing.milestone) : undefined;
  const anchors = {
    stageEntry: s.stageEnteredAt,
    purchase: s.termStartedAt,
    renewal: s.renewalDate,
    milestone: milestone?.status === 'reached' ? milestone.reachedAt : undefined,
  };
  const anchor = anchors[timing.from];
  return anchor === undefined ? undefined : Date.parse(anchor) + timing.days * s.dayMs;
}

/**
 * Refuses an update (from its validator or its handler) with a reason the API passes on: NotFound for
 * something this journey does not have, Refused for a change it cannot make.
 */
function fail(message: string, type: 'NotFound' | 'Refused' = 'Refused'): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The stage a touchpoint belongs to; one a migration renamed or merged counts as the current stage. */
function stageOf(map: JourneyMap, s: JourneyState, record: TouchpointRecord): Stage {
  return map.stages.find((stage) => stage.id === record.stage) ?? stageById(map, s.stage);
}

function milestoneRecord(s: JourneyState, id: string): MilestoneRecord {
  const record = s.milestones.find((m) => m.id === id);
  if (!record) throw new Error(`journey has no milestone "${id}"`);
  return record;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
