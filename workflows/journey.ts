/**
 * One customer's journey from purchase to churn, term after term: the whole story in one place. The rules
 * live in ./interpreter (plain functions over the Journey state object, unit-tested without Temporal);
 * this file registers the handlers, runs the main loop, performs what falls due, and continues as new.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { JourneyInput, JourneyResult, MeetingChangeRequest, MigrationRequest, SteeringRequest, TaskCompletion } from '../contracts/journey';
import type { Stage } from '../contracts/map';
import * as messages from '../contracts/messages';
import type { ProductEvent } from '../contracts/events';
import { DAY_MS } from '../contracts/time';
import { escalateMissedMilestone, runDueEscalations } from './interpreter/escalations';
import { assignArms } from './interpreter/experiments';
import { recordEvent } from './interpreter/events';
import { iso, publishSearchAttributes, type Journey, type JourneyEnv } from './interpreter/journey';
import { stageById, touchpointDefinition } from './interpreter/map-lookups';
import { migrate, planMigration, previewMigration } from './interpreter/migration';
import { readPinnedMap } from './interpreter/pinned-map';
import { productEventProblem, refuseSignal, unsubscribeProblem } from './interpreter/signal-inputs';
import { changeableBooking, checkRole, completeTask, reassignOwner, recordUnsubscribe, taskById } from './interpreter/owners';
import { nextWakeTime } from './interpreter/next-wake';
import { currentDetails, dueWork, holdBack, scheduleNextOccurrence } from './interpreter/schedule';
import { advanceStage, enterFirstStage, firstTermState, leaveStage, nextTermState, recordGoals, stageExitReason } from './interpreter/stages';
import { cancel, checkCancel, checkPause, checkResume, HELD_EVENTS_KEPT, holdEvent, pause, resume } from './interpreter/steering';
import { changedSearchAttributes, searchAttributeUpdates } from './journey-search-attributes';
import { changeMeeting, perform } from './perform';
import { FACTS_WITH_TOUCHPOINTS, journeyFactRecorder } from './record-facts';
import { wakeTimer } from './wake-timer';

export type { JourneyInput, JourneyResult, JourneyState, TouchpointRecord } from '../contracts/journey';

/**
 * Journeys started before it cancelled and re-armed their timer on every message, and upserted search
 * attributes they already had: they keep doing so, to replay as they ran.
 */
const QUIET_WAITS = 'quiet-waits';

/** The revision (JOURNEY_REVISION) that includes each patch: a journey of that revision or later runs it without asking. */
const PATCH_REVISIONS = new Map([
  ['journey-facts', 2],
  ['task-owners-search-attribute', 2],
  ['owner-task-on-failure', 2],
  [QUIET_WAITS, 2],
  [FACTS_WITH_TOUCHPOINTS, 3],
]);

/** Temporal's side of the interpreter's needs, for a journey of the given revision. */
function journeyEnv(revision: number): JourneyEnv {
  const since = (patchId: string) => revision >= (PATCH_REVISIONS.get(patchId) ?? Infinity) || patched(patchId);
  return {
    now: () => Date.now(),
    patched: since,
    upsertSearchAttributes: (attributes) => {
      const updates = searchAttributeUpdates(attributes);
      const changed = since(QUIET_WAITS) ? changedSearchAttributes(updates, workflowInfo().typedSearchAttributes) : updates;
      if (changed.length > 0) upsertSearchAttributes(changed);
    },
    log,
  };
}

/** One customer's journey from purchase to churn: walks the map's stages, term after term. */
export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  const { customer } = input;
  const env = journeyEnv(input.revision ?? 1);
  const resumed = input.state !== undefined;
  // Older journeys pinned maps of an older shape: read here, once, as today's language.
  const map = readPinnedMap(input.map);
  const j: Journey = { s: input.state ?? firstTermState(customer, map, input.clock?.dayMs ?? DAY_MS, Date.now()), customer, map, env };
  if (!resumed) {
    assignArms(j); // before the first stage schedules touchpoints whose audiences name arms
    enterFirstStage(j);
  }
  j.s.owners ??= { ...customer.owners };
  let changes = 0; // every message that may change what is due next wakes the loop
  // Meeting changes run one at a time, each taking its sequence number from the booking the one before left.
  const meetingChanges = new Mutex();
  // The touchpoint whose activity the main loop awaits: update handlers run meanwhile, and a migration must
  // not drop what is already happening.
  const inFlight = new Set<string>();
  // What the journey did goes to the engine database just before each wait (journey facts, ./record-facts).
  const facts = journeyFactRecorder(j);
  const wake = wakeTimer();

  // Signals are checked here, in the workflow: one sent straight to Temporal with a malformed payload is
  // refused and recorded, never a failed workflow task.
  setHandler(messages.productEventSignal, (event: unknown) => {
    const problem = productEventProblem(event);
    if (problem) refuseSignal(j, 'productEvent', problem);
    else if (j.s.paused) {
      // Kept for the resume, in the order it came; acted on then.
      if (!holdEvent(j, event as ProductEvent)) refuseSignal(j, 'productEvent', `paused, and ${HELD_EVENTS_KEPT} events are held already`);
    } else if (recordEvent(j, event as ProductEvent)) changes += 1;
  });
  setHandler(messages.contactUnsubscribedSignal, (unsubscribe: unknown) => {
    const problem = unsubscribeProblem(unsubscribe);
    if (problem) refuseSignal(j, 'contactUnsubscribed', problem);
    else if (recordUnsubscribe(j, unsubscribe as { email: string; at: string })) changes += 1;
  });
  setHandler(messages.journeyStateQuery, () => j.s);
  setHandler(messages.migrationPreviewQuery, (request) => previewMigration(j.s, j.map, request, inFlight));
  setHandler(
    messages.migrateMapUpdate,
    (request) => {
      const plan = planMigration(j.s, j.map, request, inFlight);
      migrate(j, request, plan);
      changes += 1;
      return plan;
    },
    // Refused before it reaches history: a journey is never left in a stage or wait the target lacks.
    { validator: (request: MigrationRequest) => void planMigration(j.s, j.map, request, inFlight) },
  );
  setHandler(
    messages.completeTaskUpdate,
    (completion) => {
      const task = completeTask(j, completion);
      changes += 1;
      return task;
    },
    { validator: (completion: TaskCompletion) => void taskById(j, completion.taskId) },
  );
  setHandler(
    messages.reassignOwnerUpdate,
    ({ role, owner }) => {
      const reassignment = reassignOwner(j, role, owner);
      changes += 1;
      return reassignment;
    },
    { validator: ({ role }: { role: string }) => checkRole(j, role) },
  );
  setHandler(
    messages.changeMeetingUpdate,
    (request) =>
      meetingChanges.runExclusive(async () => {
        const booking = changeableBooking(j, request.bookingId); // again: a change just before may have cancelled it
        return changeMeeting(j, booking, request);
      }),
    { validator: (request: MeetingChangeRequest) => void changeableBooking(j, request.bookingId) },
  );

  setHandler(
    messages.pauseJourneyUpdate,
    (request) => {
      const paused = pause(j, request);
      changes += 1;
      return paused;
    },
    { validator: (request: SteeringRequest) => checkPause(j, request) },
  );
  setHandler(
    messages.resumeJourneyUpdate,
    (request) => {
      const { pause: ended, held } = resume(j, request);
      for (const event of held) recordEvent(j, event);
      changes += 1;
      return { ...ended, eventsHeld: held.length };
    },
    { validator: (request: SteeringRequest) => checkResume(j, request) },
  );
  setHandler(
    messages.cancelJourneyUpdate,
    (request) => {
      cancel(j, request);
      changes += 1;
      return { cancelledAt: j.s.outcome!.at, reason: request.reason!.trim() };
    },
    { validator: (request: SteeringRequest) => checkCancel(j, request) },
  );

  /** Does the next thing due in the stage, if anything is: says whether it did (the loop then looks again). */
  async function actOnWhatIsDue(stage: Stage): Promise<boolean> {
    recordGoals(j);
    // What fell due before the stage ended (a worker was down, a relay was slow) still happens.
    const due = dueWork(j, stage);
    if (due && 'missed' in due) {
      escalateMissedMilestone(j, stage, due.missed);
      return true;
    }
    if (due) {
      const record = due.touchpoint;
      const touchpoint = record.task ? undefined : touchpointDefinition(j.map, record.touchpointId);
      if (touchpoint?.action === 'email' && holdBack(j, touchpoint, record)) return true;
      inFlight.add(record.key);
      await perform(j, touchpoint, record, facts);
      inFlight.delete(record.key);
      scheduleNextOccurrence(j, stage, record);
      return true;
    }
    if (runDueEscalations(j, stage)) return true;
    const exitReason = stageExitReason(j, stage);
    if (!exitReason) return false;
    advanceStage(j, stage, exitReason);
    return true;
  }

  /** Until `wakeAt` (for ever when undefined), or until a message may have changed what is due. */
  async function waitUntil(wakeAt: number | undefined): Promise<void> {
    const changesSeen = changes;
    const somethingHappened = () => changes !== changesSeen;
    facts.flush(); // sent, not awaited: the wait below starts in this same activation
    if (env.patched(QUIET_WAITS)) await wake.wait(wakeAt, somethingHappened);
    else if (wakeAt === undefined) await condition(somethingHappened);
    else await condition(somethingHappened, Math.max(wakeAt - Date.now(), 1));
  }

  publishSearchAttributes(j);

  while (!j.s.outcome) {
    const stage = stageById(j.map, j.s.stage);
    // A paused journey performs nothing and moves no stage: what falls due meanwhile waits for the resume.
    if (!j.s.paused && (await actOnWhatIsDue(stage))) continue;
    if (workflowInfo().continueAsNewSuggested) {
      // A busy term (many product events) gets a fresh history; the state carries on as it is, once a
      // meeting change in flight has finished and what this run did is recorded.
      await condition(allHandlersFinished);
      await facts.flushBeforeLeaving([j]);
      await continueAsNew<typeof journeyWorkflow>({ ...input, map: j.map, state: j.s });
    }
    setCurrentDetails(currentDetails(j, stage));
    await waitUntil(j.s.paused ? undefined : nextWakeTime(j, stage));
  }

  await condition(allHandlersFinished); // a meeting change in flight finishes in this run, and is recorded
  const outcome = j.s.outcome;
  if (outcome.type === 'renewed') {
    log.info('Customer renewed: the journey continues into the next term', { term: j.s.term + 1 });
    const next = nextTermState(j);
    // The ending term's last facts (its outcome, the stage left) and the next term's first, in one batch.
    await facts.flushBeforeLeaving([j, { ...j, s: next }]);
    await continueAsNew<typeof journeyWorkflow>({ ...input, map: j.map, state: next });
  }
  const endedAt = iso(Date.now());
  const ended = outcome.type === 'cancelled' ? 'cancelled' : 'churned';
  leaveStage(j.s, outcome.type === 'cancelled' ? `cancelled: ${outcome.reason}` : 'churned', endedAt);
  env.upsertSearchAttributes({ stage: ended });
  await facts.flushBeforeLeaving([j]); // the end and the last stage left are recorded before the journey ends
  return { outcome: ended, terms: j.s.term, endedAt, ...(outcome.type === 'cancelled' ? { reason: outcome.reason } : {}) };
}
