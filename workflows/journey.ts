import {
  ActivityFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { BookedMeeting } from '../activities/meetings';
import type { CreatedTask } from '../activities/tasks';
import type { Customer, Person } from '../src/journeys/customer';
import type { ProductEvent } from '../src/journeys/events';
import type { Audience, JourneyMap, Milestone, Stage, Timing, Touchpoint } from '../src/maps/schema';
import { journeyStateQuery, migrateMapUpdate, migrationPreviewQuery, productEventSignal } from './messages';
import { migrateMilestones, planMigration, type MigrationPlan, type MigrationRequest } from './migration';
import { journeyAtRiskKey, journeyMapKey, journeyStageKey, journeyTermKey } from './search-attributes';

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
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
};
const touchpoints = proxyActivities<ReturnType<typeof createActivities>>(touchpointActivityOptions);

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
  status: 'pending' | 'done' | 'skipped' | 'failed';
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
}

/** A call or training session the journey booked, and the touchpoint occurrence it came from. */
export type Booking = BookedMeeting & { touchpointKey: string };

/** A task the journey gave an owner, and the touchpoint occurrence it came from. */
export type OwnerTask = CreatedTask & { touchpointKey: string };

export interface GoalRecord {
  id: string;
  name: string;
  status: 'pending' | 'met' | 'missed';
  dueAt: string;
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
}

/** One customer's journey from purchase to churn: walks the map's stages, term after term. */
export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  const { customer } = input;
  let map = input.map; // a migration moves the journey to another map version
  let migrations = 0;
  const s: JourneyState = input.state ?? firstTermState(customer, map, input.clock?.dayMs ?? DAY_MS);

  setHandler(productEventSignal, (event) => recordEvent(s, map, event));
  setHandler(journeyStateQuery, () => s);
  setHandler(migrationPreviewQuery, (request) => planMigration(s, map, request));
  setHandler(
    migrateMapUpdate,
    (request) => {
      const plan = planMigration(s, map, request);
      map = migrate(s, customer, request, plan);
      migrations += 1;
      return plan;
    },
    // Refused before it reaches history: a journey is never left in a stage or wait the target lacks.
    { validator: (request: MigrationRequest) => void planMigration(s, map, request) },
  );

  publishSearchAttributes(s);

  while (!s.outcome) {
    const stage = stageById(map, s.stage);
    recordGoals(s, map);
    // What fell due before the stage ended (a worker was down, a relay was slow) still happens.
    if (await runDueWork(s, customer, map, stage)) continue;
    const exitReason = stageExitReason(s, map, stage);
    if (exitReason) {
      advanceStage(s, customer, map, stage, exitReason);
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      // A busy term (many product events) gets a fresh history; the state carries on as it is.
      await continueAsNew<typeof journeyWorkflow>({ ...input, map, state: s });
    }
    const wakeAt = nextWakeTime(s, stage);
    const eventsSeen = s.eventsReceived;
    const migrationsSeen = migrations;
    const somethingHappened = () => s.eventsReceived !== eventsSeen || migrations !== migrationsSeen;
    if (wakeAt === undefined) await condition(somethingHappened);
    else await condition(somethingHappened, Math.max(wakeAt - Date.now(), 1));
  }

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
    tasks: [],
    atRisk: false,
    atRiskReasons: [],
    outcome: undefined,
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
    if (record.status === 'pending') record.dueAt = iso(timeOf(s, milestone.due));
  }
  for (const touchpoint of stage.touchpoints) {
    schedule(s, customer, touchpoint, stage, 1, timeOf(s, touchpoint.at), 'scheduled by the map');
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
  enterStage(s, customer, map.stages[map.stages.indexOf(stage) + 1]!, now);
  publishSearchAttributes(s);
}

function leaveStage(s: JourneyState, reason: string, at: string, options: { keepOneOffs?: boolean } = {}): void {
  const current = s.stageHistory[s.stageHistory.length - 1];
  if (current && !current.leftAt) Object.assign(current, { leftAt: at, reason });
  for (const record of s.touchpoints) {
    if (record.status !== 'pending' || (options.keepOneOffs && !record.recurs)) continue;
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
  const now = Date.now();
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  if (timeLimit !== undefined && now >= timeLimit) return 'time limit';
  if (renewalWindow !== undefined && now >= renewalWindow) return 'renewal window opened';
  return undefined;
}

/** The next moment something is due in this stage: a touchpoint, a milestone deadline, a stage end. */
function nextWakeTime(s: JourneyState, stage: Stage): number | undefined {
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  const times = [
    ...s.touchpoints.filter((t) => t.status === 'pending').map((t) => Date.parse(t.dueAt)),
    ...s.milestones
      .filter((m) => m.stage === stage.id && m.status === 'pending' && m.dueAt)
      .map((m) => Date.parse(m.dueAt!)),
    ...[timeLimit, renewalWindow].filter((time) => time !== undefined),
    ...(s.goals ?? []).filter((g) => g.status === 'pending').map((g) => Date.parse(g.dueAt)),
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
    if (record.status === 'pending' && !record.dueAt && due > now) record.dueAt = iso(due);
  }
  for (const record of s.touchpoints) {
    if (record.status === 'pending' && plan.droppedTouchpoints.includes(record.key)) {
      Object.assign(record, { status: 'skipped', result: `removed by the migration to ${plan.to}` });
    }
  }
  if (s.stage !== stage.id) {
    s.stage = stage.id;
    s.stageHistory.at(-1)!.stage = stage.id;
  }
  for (const touchpoint of stage.touchpoints.filter((t) => plan.addedTouchpoints.includes(t.id))) {
    const due = timeOf(s, touchpoint.at);
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
  s.goals ??= goals.map((goal) => ({
    id: goal.id,
    name: goal.name,
    status: 'pending',
    dueAt: iso(purchasedAt + goal.withinDays * s.dayMs),
  }));
  for (const record of s.goals.filter((g) => g.status === 'pending')) {
    const goal = goals.find((g) => g.id === record.id);
    if (!goal) continue; // a migration dropped it
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
    .filter((t) => t.status === 'pending' && Date.parse(t.dueAt) <= now)
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
  if (!due) return false;
  const touchpoint = touchpointDefinition(map, due.touchpointId);
  await perform(s, customer, touchpoint, due);
  const recurring = stage.touchpoints.find((t) => t.id === touchpoint.id && t.every !== undefined);
  if (recurring?.every !== undefined && s.stage === stage.id) {
    // After a long outage the cadence picks up from now: missed occurrences are not booked back to back.
    const interval = recurring.every * s.dayMs;
    let occurrence = due.occurrence + 1;
    let next = Date.parse(due.dueAt) + interval;
    for (; next <= Date.now(); next += interval) occurrence += 1;
    schedule(s, customer, recurring, stage, occurrence, next, due.trigger);
  }
  return true;
}

function escalateMissedMilestone(s: JourneyState, customer: Customer, stage: Stage, record: MilestoneRecord, milestone: Milestone): void {
  const now = Date.now();
  record.status = 'missed';
  record.missedAt = iso(now);
  log.info('Milestone missed', { milestone: milestone.id });
  if (Date.parse(record.dueAt!) < Date.parse(s.journeyStartedAt) - s.dayMs) return; // missed before the journey began
  if (milestone.onMissed.markAtRisk) markAtRisk(s, `missed milestone: ${milestone.name}`);
  for (const touchpoint of milestone.onMissed.touchpoints) {
    schedule(s, customer, touchpoint, stage, 1, now, `milestone "${milestone.name}" missed`);
  }
}

function recordEvent(s: JourneyState, map: JourneyMap, event: ProductEvent): void {
  if (s.seenEventIds.includes(event.eventId)) return; // the same event delivered twice counts once
  s.seenEventIds.push(event.eventId);
  if (s.seenEventIds.length > SEEN_EVENT_IDS_KEPT) s.seenEventIds.shift();
  s.eventsReceived += 1;

  // An outcome that occurred before this term began is about an earlier term (a billing retry): it changes nothing.
  const aboutThisTerm = event.occurredAt >= s.termStartedAt;
  if (aboutThisTerm && event.type === CHURNED_EVENT) {
    // Churn wins even over a renewal not yet acted on: a churned customer must not be carried into a new term.
    s.outcome = { type: 'churned', at: event.occurredAt, eventId: event.eventId };
  } else if (aboutThisTerm && event.type === RENEWED_EVENT && !s.outcome) {
    s.outcome = {
      type: 'renewed',
      at: event.occurredAt,
      eventId: event.eventId,
      ...(typeof event.renewsOn === 'string' ? { renewsOn: event.renewsOn } : {}),
    };
  }
  for (const record of s.milestones) {
    if (record.status === 'reached') continue;
    if (!eventCompletes(milestoneDefinition(map, record.id), event)) continue;
    Object.assign(record, { status: 'reached', reachedAt: event.occurredAt, eventId: event.eventId });
  }
}

function eventCompletes(milestone: Milestone, event: ProductEvent): boolean {
  if (event.type !== milestone.event.type) return false;
  return Object.entries(milestone.event.match).every(([field, value]) => String(event[field]) === value);
}

function schedule(
  s: JourneyState,
  customer: Customer,
  touchpoint: Touchpoint,
  stage: Stage,
  occurrence: number,
  dueAt: number,
  trigger: string,
): void {
  const late = dueAt < Date.parse(s.journeyStartedAt) - s.dayMs;
  const notFor = audienceMismatch(customer, touchpoint.audience);
  s.touchpoints.push({
    key: `${touchpoint.id}#${occurrence}`,
    touchpointId: touchpoint.id,
    occurrence,
    name: touchpoint.name ?? touchpoint.id,
    stage: stage.id,
    action: touchpoint.action,
    ownerRole: touchpoint.owner,
    owner: ownerFor(customer, touchpoint.owner),
    trigger,
    recurs: 'every' in touchpoint && touchpoint.every !== undefined,
    dueAt: iso(dueAt),
    // A purchase reported long after the fact does not get a welcome months late.
    ...(notFor
      ? { status: 'skipped', result: `not for this customer (${notFor})` }
      : late
        ? { status: 'skipped', result: 'due before the journey began' }
        : { status: 'pending' }),
  });
}

/** Performs one touchpoint through its activity; a failure retrying cannot fix is recorded, not fatal. */
async function perform(s: JourneyState, customer: Customer, touchpoint: Touchpoint, record: TouchpointRecord) {
  const owner = record.owner;
  // The idempotency key: the same touchpoint occurrence of the same term of this journey is delivered once,
  // whatever the retries. The first run id tells this journey from an earlier one of a returning customer.
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const key = `${workflowId}/${firstExecutionRunId}/term-${s.term}/${record.key}`;
  // Templates speak of this term's renewal, not the first one's.
  const termCustomer = { ...customer, renewalDate: s.renewalDate };
  const base = { key, customer: termCustomer, owner, ownerRole: touchpoint.owner, touchpointName: record.name };
  try {
    switch (touchpoint.action) {
      case 'email': {
        const sent = await touchpoints.sendTouchpointEmail.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Email "${record.name}" to ${termCustomer.contact.email}` },
          [{ ...base, template: touchpoint.template }],
        );
        record.result = `email sent to ${sent.to.join(', ')}`;
        break;
      }
      case 'call':
      case 'training': {
        const booking = await touchpoints.bookMeeting.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Book ${touchpoint.action} "${touchpoint.topic}" with ${owner.name}` },
          [
            {
              ...base,
              kind: touchpoint.action,
              topic: touchpoint.topic,
              durationMinutes: touchpoint.durationMinutes,
              notBefore: record.dueAt,
            },
          ],
        );
        s.bookings.push({ ...booking, touchpointKey: record.key });
        record.result = `${touchpoint.action} booked for ${booking.startsAt} (${booking.timeZone})`;
        break;
      }
      case 'task': {
        const task = await touchpoints.createOwnerTask.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Task "${touchpoint.title}" for ${owner.name}` },
          [{ ...base, title: touchpoint.title, dueAt: iso(Date.now() + touchpoint.dueInDays * s.dayMs) }],
        );
        s.tasks.push({ ...task, touchpointKey: record.key });
        record.result = `task created for ${owner.email}`;
        break;
      }
    }
    record.status = 'done';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    record.status = 'failed';
    record.result = err.cause?.message ?? err.message;
    log.warn('Touchpoint failed for good', { touchpoint: record.key, reason: record.result });
  }
  record.doneAt = iso(Date.now());
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

/** The person holding a role; someone always owns the moment, so fall back to any owner the customer has. */
function ownerFor(customer: Customer, role: string): Person {
  const owner = customer.owners[role] ?? Object.values(customer.owners)[0];
  return owner ?? { name: customer.contact.name, email: customer.contact.email };
}

function timeOf(s: JourneyState, timing: Timing): number {
  // "purchase" is the start of the term: the purchase itself, or the renewal that began this term.
  const anchors = { stageEntry: s.stageEnteredAt, purchase: s.termStartedAt, renewal: s.renewalDate };
  return Date.parse(anchors[timing.from]) + timing.days * s.dayMs;
}

function stageById(map: JourneyMap, id: string): Stage {
  const stage = map.stages.find((candidate) => candidate.id === id);
  if (!stage) throw new Error(`map ${map.id}@${map.version} has no stage "${id}"`);
  return stage;
}

function milestoneRecord(s: JourneyState, id: string): MilestoneRecord {
  const record = s.milestones.find((m) => m.id === id);
  if (!record) throw new Error(`journey has no milestone "${id}"`);
  return record;
}

function milestoneDefinition(map: JourneyMap, id: string): Milestone {
  const milestone = map.stages.flatMap((stage) => stage.milestones).find((m) => m.id === id);
  if (!milestone) throw new Error(`map ${map.id}@${map.version} has no milestone "${id}"`);
  return milestone;
}

function touchpointDefinition(map: JourneyMap, id: string): Touchpoint {
  const all = map.stages.flatMap((stage) => [...stage.touchpoints, ...stage.milestones.flatMap((m) => m.onMissed.touchpoints)]);
  const touchpoint = all.find((t) => t.id === id);
  if (!touchpoint) throw new Error(`map ${map.id}@${map.version} has no touchpoint "${id}"`);
  return touchpoint;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
