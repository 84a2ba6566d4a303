/**
 * Performing touchpoints through their activities (workflow code: it schedules activities), and recording
 * what came back with the interpreter's rules.
 */
import { ActivityFailure, ApplicationFailure, currentUpdateInfo, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CustomerDetails } from '../contracts/customer';
import type { Booking, MeetingChangeRequest, TouchpointRecord } from '../contracts/journey';
import type { Touchpoint } from '../contracts/map';
import { iso, publishTaskOwners, stageOf, type Journey } from './interpreter/journey';
import { recordTouchpointFailure, skipBeforePerforming, webhookPayload } from './interpreter/touchpoint-results';
import type { JourneyFactRecorder } from './record-facts';

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

/**
 * Performs one touchpoint through its activity; a failure retrying cannot fix is recorded, and the owner told.
 * The journey's facts are recorded only when an activity is about to start (right before the journey waits),
 * not for a touchpoint skipped on the spot: an activity that retries until it succeeds carries them, a
 * webhook's (which gives up) leaves them to a local activity sent beside it.
 */
export async function perform(
  j: Journey,
  touchpoint: Touchpoint | undefined,
  record: TouchpointRecord,
  facts: Pick<JourneyFactRecorder, 'batchForTouchpoint'>,
): Promise<void> {
  const { s, map } = j;
  const stage = stageOf(j, record);
  if (skipBeforePerforming(j, stage, record, touchpoint?.audience?.stepOutcome)) return;

  const owner = record.owner;
  // The idempotency key: the same touchpoint occurrence of the same term of this journey is delivered once,
  // whatever the retries. The first run id tells this journey from an earlier one of a returning customer.
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const key = `${workflowId}/${firstExecutionRunId}/term-${s.term}/${record.key}`;
  // Templates speak of this term's renewal, not the first one's.
  const termCustomer = customerDetails(j);
  const journey = { stage: stage.id, stageName: stage.name, term: s.term, mapName: map.name };
  const base = { key, customer: termCustomer, owner, ownerRole: record.ownerRole, touchpointName: record.name, journey };
  const action = touchpoint ?? { action: 'task' as const, ...record.task!, owner: record.ownerRole };
  // On the activity's input, or a local activity not awaited: either way scheduled in this same activation.
  const factBatch = facts.batchForTouchpoint(action.action !== 'webhook');
  const carried = factBatch ? { facts: factBatch } : {};
  try {
    switch (action.action) {
      case 'email': {
        const sent = await touchpoints.sendTouchpointEmail.executeWithOptions(
          { ...touchpointActivityOptions, summary: `Email "${record.name}" to ${termCustomer.contact.email}` },
          [{ ...base, ...carried, template: action.template, transactional: action.transactional ?? false }],
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
              ...carried,
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
          [{ ...base, ...carried, title: action.title, dueAt: iso(Date.now() + action.dueInDays * s.dayMs) }],
        );
        s.tasks.push({ ...task, touchpointKey: record.key, ownerRole: record.ownerRole, status: 'open' });
        // Journeys from before tasks were listed by owner keep their recorded commands.
        if (j.env.patched('task-owners-search-attribute')) publishTaskOwners(j);
        record.result = `task created for ${owner.email}`;
        break;
      }
      case 'webhook': {
        const delivery = await touchpoints.callWebhook.executeWithOptions(
          { ...webhookActivityOptions, summary: `Webhook ${action.event} to ${action.url}` },
          [{ ...base, url: action.url, event: action.event, dueAt: record.dueAt, payload: webhookPayload(j) }],
        );
        // No status: not sent at all (a rehearsal), and the delivery id says why.
        record.result = delivery.status
          ? `webhook ${action.event} delivered to ${delivery.url} (${delivery.status})`
          : `webhook ${action.event} for ${delivery.url}: ${delivery.deliveryId}`;
        break;
      }
    }
    record.status = 'done';
    record.doneAt = iso(Date.now());
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause?.message ?? err.message;
    const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
    recordTouchpointFailure(j, stage, record, { type, reason });
  }
}

/**
 * Reschedules or cancels a booking through its activity; the attendees get an updated invitation (or a
 * cancellation) once. Runs only in the update handler, one change at a time (the caller holds the lock).
 */
export async function changeMeeting(j: Journey, booking: Booking, request: MeetingChangeRequest): Promise<Booking> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const changed = await touchpoints.changeMeeting.executeWithOptions(
    { ...meetingChangeActivityOptions, summary: `${request.change.type === 'cancel' ? 'Cancel' : 'Reschedule'} ${booking.kind} "${booking.topic}"` },
    [
      {
        // The update's id: a client retrying the same change gets it once; another change is another delivery.
        key: `${workflowId}/${firstExecutionRunId}/${booking.bookingId}/change-${currentUpdateInfo()!.id}`,
        customer: customerDetails(j),
        booking,
        change: request.change,
      },
    ],
  );
  // Read again: the journey may have moved on while the invitation went out.
  const current = j.s.bookings.find((b) => b.bookingId === request.bookingId)!;
  Object.assign(current, changed);
  return current;
}

/** The customer as activities see it: this term's renewal (templates speak of it), and not the owners. */
function customerDetails(j: Journey): CustomerDetails {
  const { owners: _owners, ...details } = j.customer;
  return { ...details, renewalDate: j.s.renewalDate };
}
