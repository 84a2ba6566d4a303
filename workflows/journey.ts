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
import type { JourneyInput, JourneyResult, MeetingChangeRequest, MigrationRequest, TaskCompletion } from '../contracts/journey';
import * as messages from '../contracts/messages';
import type { ProductEvent } from '../contracts/events';
import { DAY_MS } from '../contracts/time';
import { escalateMissedMilestone, runDueEscalations } from './interpreter/escalations';
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
import { searchAttributeUpdates } from './journey-search-attributes';
import { changeMeeting, perform } from './perform';
import { journeyFactRecorder } from './record-facts';

export type { JourneyInput, JourneyResult, JourneyState, TouchpointRecord } from '../contracts/journey';

/** Temporal's side of the interpreter's needs. */
const env: JourneyEnv = {
  now: () => Date.now(),
  patched,
  upsertSearchAttributes: (attributes) => upsertSearchAttributes(searchAttributeUpdates(attributes)),
  log,
};

/** One customer's journey from purchase to churn: walks the map's stages, term after term. */
export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  const { customer } = input;
  const resumed = input.state !== undefined;
  // Older journeys pinned maps of an older shape: read here, once, as today's language.
  const map = readPinnedMap(input.map);
  const j: Journey = { s: input.state ?? firstTermState(customer, map, input.clock?.dayMs ?? DAY_MS, Date.now()), customer, map, env };
  if (!resumed) enterFirstStage(j);
  j.s.owners ??= { ...customer.owners };
  let changes = 0; // every message that may change what is due next wakes the loop
  // Meeting changes run one at a time, each taking its sequence number from the booking the one before left.
  const meetingChanges = new Mutex();
  // The touchpoint whose activity the main loop awaits: update handlers run meanwhile, and a migration must
  // not drop what is already happening.
  const inFlight = new Set<string>();
  // What the journey did goes to the engine database just before each wait (journey facts, ./record-facts).
  const facts = journeyFactRecorder(j);

  // Signals are checked here, in the workflow: one sent straight to Temporal with a malformed payload is
  // refused and recorded, never a failed workflow task.
  setHandler(messages.productEventSignal, (event: unknown) => {
    const problem = productEventProblem(event);
    if (problem) refuseSignal(j, 'productEvent', problem);
    else if (recordEvent(j, event as ProductEvent)) changes += 1;
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

  publishSearchAttributes(j);

  while (!j.s.outcome) {
    const stage = stageById(j.map, j.s.stage);
    recordGoals(j);
    // What fell due before the stage ended (a worker was down, a relay was slow) still happens.
    const due = dueWork(j, stage);
    if (due && 'missed' in due) {
      escalateMissedMilestone(j, stage, due.missed);
      continue;
    }
    if (due) {
      const record = due.touchpoint;
      const touchpoint = record.task ? undefined : touchpointDefinition(j.map, record.touchpointId);
      if (touchpoint?.action === 'email' && holdBack(j, touchpoint, record)) continue;
      inFlight.add(record.key);
      await perform(j, touchpoint, record, () => facts.flush());
      inFlight.delete(record.key);
      scheduleNextOccurrence(j, stage, record);
      continue;
    }
    if (runDueEscalations(j, stage)) continue;
    const exitReason = stageExitReason(j, stage);
    if (exitReason) {
      advanceStage(j, stage, exitReason);
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      // A busy term (many product events) gets a fresh history; the state carries on as it is, once a
      // meeting change in flight has finished and what this run did is recorded.
      await condition(allHandlersFinished);
      await facts.flushBeforeLeaving([j]);
      await continueAsNew<typeof journeyWorkflow>({ ...input, map: j.map, state: j.s });
    }
    setCurrentDetails(currentDetails(j, stage));
    const wakeAt = nextWakeTime(j, stage);
    const changesSeen = changes;
    const somethingHappened = () => changes !== changesSeen;
    facts.flush(); // sent, not awaited: the wait below starts in this same activation
    if (wakeAt === undefined) await condition(somethingHappened);
    else await condition(somethingHappened, Math.max(wakeAt - Date.now(), 1));
  }

  await condition(allHandlersFinished); // a meeting change in flight finishes in this run, and is recorded
  if (j.s.outcome.type === 'renewed') {
    log.info('Customer renewed: the journey continues into the next term', { term: j.s.term + 1 });
    const next = nextTermState(j);
    // The ending term's last facts (its outcome, the stage left) and the next term's first, in one batch.
    await facts.flushBeforeLeaving([j, { ...j, s: next }]);
    await continueAsNew<typeof journeyWorkflow>({ ...input, map: j.map, state: next });
  }
  const endedAt = iso(Date.now());
  leaveStage(j.s, 'churned', endedAt);
  env.upsertSearchAttributes({ stage: 'churned' });
  await facts.flushBeforeLeaving([j]); // the churn and the last stage left are recorded before the journey ends
  return { outcome: 'churned', terms: j.s.term, endedAt };
}
