import { Context } from '@temporalio/activity';
import type { ActivityDeps, TouchpointInput } from './deps';
import { sendTouchpointEmail, type TouchpointEmailInput } from './email';
import { recordJourneyFacts } from './facts';
import type { FactBatch } from '../contracts/facts';
import { bookMeeting, changeMeeting, type MeetingChangeInput, type MeetingInput } from './meetings';
import { createOwnerTask, type OwnerTaskInput } from './tasks';
import { openMapReviewTask } from './map-reviews';
import type { MapReviewTaskInput } from '../contracts/map-review';
import { callWebhook, type WebhookInput } from './webhooks';

export type { ActivityDeps, TouchpointInput } from './deps';
export { createBulkOperationActivities } from './bulk-operations';

/**
 * The touchpoint activities and the journey facts writer, bound to their dependencies; workflows proxy the type of what
 * this returns. The dependencies may still be in the making (a starting worker's database migrating while its workflow
 * threads load the bundle): each activity awaits them first.
 */
export function createActivities(dependencies: ActivityDeps | Promise<ActivityDeps>) {
  const ready = Promise.resolve(dependencies);
  const bound = <I, R>(activity: (deps: ActivityDeps, input: I) => Promise<R>) => async (input: I): Promise<R> => activity(await ready, input);
  return {
    /** Sends a touchpoint's templated email to the customer's contact. */
    sendTouchpointEmail: bound((deps, input: TouchpointEmailInput) => heartbeating(afterFacts(deps, input, () => sendTouchpointEmail(deps, input)))),
    /** Books a call or training session and emails the calendar invitation. */
    bookMeeting: bound((deps, input: MeetingInput) => heartbeating(afterFacts(deps, input, () => bookMeeting(deps, input)))),
    /** Reschedules or cancels a booked meeting and emails everyone the calendar update. */
    changeMeeting: bound((deps, input: MeetingChangeInput) => heartbeating(changeMeeting(deps, input))),
    /** Creates a task for the owner of the moment and notifies them. */
    createOwnerTask: bound((deps, input: OwnerTaskInput) => heartbeating(afterFacts(deps, input, () => createOwnerTask(deps, input)))),
    /** POSTs the touchpoint, signed, to a receiver such as a CRM; retried with the same key and body. */
    callWebhook: bound((deps, input: WebhookInput) => heartbeating(callWebhook(deps, input))),
    /** Opens the map owner's yearly review task in their worklist (the map registry's). */
    openMapReviewTask: bound((deps, input: MapReviewTaskInput) => openMapReviewTask(deps, input)),
    /** Records what a journey did (facts), where it stands and its open tasks, when no touchpoint carries them: a local activity, which cannot heartbeat. */
    recordJourneyFacts: bound((deps, batch: FactBatch) => recordJourneyFacts(deps, batch)),
  };
}

/**
 * Records the journey facts a touchpoint carries, then performs it: a journey's answers never run ahead of its
 * facts by more than this activity's start, and a database that is down fails the attempt before anything is
 * sent (the ledger needs it anyway), to be retried.
 */
async function afterFacts<T>(deps: ActivityDeps, input: TouchpointInput, touchpoint: () => Promise<T>): Promise<T> {
  if (input.facts) await recordJourneyFacts(deps, input.facts);
  return touchpoint();
}

/**
 * Heartbeats while an activity works, so Temporal notices a worker that died mid-delivery within the
 * heartbeat timeout (seconds) instead of the start-to-close timeout, and retries it on another worker.
 */
async function heartbeating<T>(work: Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 3_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
