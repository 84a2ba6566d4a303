import { ApplicationFailure } from '@temporalio/activity';
import { INVALID_MEETING_CHANGE, NO_FREE_SLOT, NO_TRAINER_AVAILABLE, SLOT_TAKEN } from '../contracts/failures';
import type { BookedMeeting, MeetingChange } from '../contracts/journey';
import { DateTime } from 'luxon';
import { findTrainingSlot } from '../src/delivery/availability';
import { cancellationIcs, invitationIcs, type Invitation } from '../src/delivery/calendar';
import { stableId } from '../src/delivery/ledger';
import { CALL_SEARCH_DAYS, firstMeetingSlot } from '../src/delivery/scheduling';
import { clashes } from '../src/delivery/session-calendar';
import type { CustomerDetails } from '../src/journeys/customer';
import type { ActivityDeps, TouchpointInput } from './deps';
import { address, refuseIfUnsubscribed, renderEmail, sendMail, smtpRefused } from './mail';

/** How many days ahead a training session is looked for. */
const TRAINING_SEARCH_DAYS = 21;

export interface MeetingInput extends TouchpointInput {
  kind: 'call' | 'training';
  topic: string;
  durationMinutes: number;
  /** The meeting goes in the first business-hours slot after this moment, in the customer's time zone. */
  notBefore: string;
}

export interface MeetingChangeInput {
  /** The change's own idempotency key: each change is delivered once. */
  key: string;
  customer: CustomerDetails;
  booking: BookedMeeting;
  /** A new start without an offset is read in the customer's time zone; the meeting keeps its length. */
  change: MeetingChange;
}

/**
 * Books a call with the owner, or a training session with a free trainer (the owner joins), and
 * emails everyone a calendar invitation (.ics).
 */
export async function bookMeeting(deps: ActivityDeps, input: MeetingInput): Promise<BookedMeeting> {
  return deps.ledger.onceWithPointOfNoReturn(input.key, async (pointOfNoReturn) => {
    const { customer, owner } = input;
    // A touchpoint that runs late (a backdated purchase, a worker that was down) books from now, never in the past.
    const notBefore = new Date(Math.max(Date.parse(input.notBefore), Date.now())).toISOString();
    const bookingId = `booking-${stableId(input.key).slice(0, 16)}`;
    await refuseIfUnsubscribed(deps, customer.contact);
    const training = input.kind === 'training' ? await reserveTraining(deps, input, bookingId, notBefore) : undefined;
    const slot = training ?? (await reserveCall(deps, input, bookingId, notBefore));
    const booking: BookedMeeting = {
      bookingId,
      kind: input.kind,
      topic: input.topic,
      startsAt: slot.start.toUTC().toISO()!,
      endsAt: slot.end.toUTC().toISO()!,
      timeZone: customer.timeZone,
      owner,
      ...(training ? { trainer: { name: training.trainer.name, email: training.trainer.email } } : {}),
      sequence: 0,
      status: 'booked',
    };
    let invited = false;
    try {
      await emailMeeting(deps, input.key, customer, booking, `${input.kind}-invitation`, {}, async () => {
        await pointOfNoReturn();
        invited = true;
      });
    } catch (err) {
      // No invitation, no session: the trainer's (or owner's) time is free again (a retry reserves anew).
      // An invitation that may have gone out keeps its time.
      if (!invited || smtpRefused(err)) await deps.sessionCalendar.release(bookingId);
      throw err;
    }
    return booking;
  }, smtpRefused);
}

/**
 * Reschedules or cancels a booked meeting: the trainer's time moves or is freed, and everyone gets
 * the change as an update of the same calendar event (same UID, higher SEQUENCE).
 */
export async function changeMeeting(deps: ActivityDeps, input: MeetingChangeInput): Promise<BookedMeeting> {
  return deps.ledger.onceWithPointOfNoReturn(input.key, async (pointOfNoReturn) => {
    const { booking, change, customer } = input;
    if (booking.status === 'cancelled') {
      throw ApplicationFailure.create({
        type: INVALID_MEETING_CHANGE,
        message: `${booking.kind} "${booking.topic}" (${booking.bookingId}) is cancelled: it cannot be ${change.type === 'cancel' ? 'cancelled again' : 'rescheduled'}`,
        nonRetryable: true,
      });
    }
    // Bookings made before meetings could change carry no sequence: theirs was 0.
    const sequence = (booking.sequence ?? 0) + 1;
    if (change.type === 'cancel') {
      await deps.sessionCalendar.release(booking.bookingId);
      const cancelled: BookedMeeting = { ...booking, sequence, status: 'cancelled' };
      await emailMeeting(deps, input.key, customer, cancelled, 'meeting-cancelled', { reason: change.reason }, pointOfNoReturn);
      return cancelled;
    }
    const start = DateTime.fromISO(change.startsAt, { zone: booking.timeZone });
    if (!start.isValid) {
      throw ApplicationFailure.create({
        type: INVALID_MEETING_CHANGE,
        message: `reschedule to "${change.startsAt}": not an ISO date-time (${start.invalidExplanation ?? start.invalidReason})`,
        nonRetryable: true,
      });
    }
    const end = start.plus(DateTime.fromISO(booking.endsAt).diff(DateTime.fromISO(booking.startsAt)));
    // Reserving moves the booking's hold on the trainer (or, for a call, the owner) to the new time and frees the old one.
    const host = booking.trainer ?? booking.owner;
    if (!(await deps.sessionCalendar.reserve(booking.bookingId, host.email, start.toJSDate(), end.toJSDate()))) {
      throw ApplicationFailure.create({
        type: SLOT_TAKEN,
        message: `${host.name} already has another session between ${localTime(start, booking.timeZone)} and ${end.setZone(booking.timeZone).toFormat('HH:mm')}`,
        nonRetryable: true,
      });
    }
    const moved: BookedMeeting = { ...booking, startsAt: start.toUTC().toISO(), endsAt: end.toUTC().toISO(), sequence, status: 'booked' };
    await emailMeeting(deps, input.key, customer, moved, 'meeting-rescheduled', {
      previousStartsLocal: localTime(DateTime.fromISO(booking.startsAt), booking.timeZone),
    }, pointOfNoReturn);
    return moved;
  }, smtpRefused);
}

/** The time a slot search looks at, with a day on either side for time zones: the bookings that can clash are in it. */
function searchWindow(notBefore: string, days: number): { from: Date; to: Date } {
  const from = DateTime.fromISO(notBefore).minus({ days: 1 });
  return { from: from.toJSDate(), to: from.plus({ days: days + 2 }).toJSDate() };
}

/** The owner's first free business-hours slot, held in the session calendar so two calls never overlap. */
async function reserveCall(deps: ActivityDeps, input: MeetingInput, bookingId: string, notBefore: string) {
  const refused = new Set<number>();
  for (;;) {
    const bookings = await deps.sessionCalendar.bookingsOf(input.owner.email, searchWindow(notBefore, CALL_SEARCH_DAYS));
    const slot = firstMeetingSlot(notBefore, input.customer.timeZone, input.durationMinutes, undefined, (start, end) =>
      refused.has(start.toMillis()) || clashes(bookings, start.toJSDate(), end.toJSDate(), bookingId),
    );
    if (!slot) {
      throw ApplicationFailure.create({
        type: NO_FREE_SLOT,
        message: `${input.owner.name} has no free business-hours slot of ${input.durationMinutes} minutes within ${CALL_SEARCH_DAYS} days after ${notBefore} (${input.customer.timeZone})`,
        nonRetryable: true,
      });
    }
    if (await deps.sessionCalendar.reserve(bookingId, input.owner.email, slot.start.toJSDate(), slot.end.toJSDate())) return slot;
    refused.add(slot.start.toMillis());
  }
}

/**
 * The earliest free training slot, held in the session calendar for this booking. Another worker may
 * take a slot between the look and the reservation: then the search runs again without that slot.
 */
async function reserveTraining(deps: ActivityDeps, input: MeetingInput, bookingId: string, notBefore: string) {
  const refused = new Set<string>();
  for (;;) {
    const window = searchWindow(notBefore, TRAINING_SEARCH_DAYS);
    const bookings = new Map(await Promise.all(deps.trainers.map(async (t) => [t.email, await deps.sessionCalendar.bookingsOf(t.email, window)] as const)));
    const slot = findTrainingSlot({
      trainers: deps.trainers,
      topic: input.topic,
      customerTimeZone: input.customer.timeZone,
      notBefore,
      durationMinutes: input.durationMinutes,
      searchDays: TRAINING_SEARCH_DAYS,
      // This booking's own hold (from an attempt that died before the ledger recorded it) does not count.
      isTaken: (email, start, end) =>
        refused.has(`${email} ${start.toMillis()}`) || clashes(bookings.get(email) ?? [], start.toJSDate(), end.toJSDate(), bookingId),
    });
    if (!slot) {
      throw ApplicationFailure.create({
        type: NO_TRAINER_AVAILABLE,
        message: `no trainer for "${input.topic}" has ${input.durationMinutes} free minutes within ${TRAINING_SEARCH_DAYS} days after ${notBefore} in business hours of ${input.customer.timeZone}`,
        nonRetryable: true,
      });
    }
    if (await deps.sessionCalendar.reserve(bookingId, slot.trainer.email, slot.start.toJSDate(), slot.end.toJSDate())) return slot;
    refused.add(`${slot.trainer.email} ${slot.start.toMillis()}`);
  }
}

/**
 * Emails everyone in the meeting its calendar event as it now stands: an invitation (METHOD:REQUEST),
 * new or updated, or a cancellation (METHOD:CANCEL), under the meeting's one UID.
 */
async function emailMeeting(
  deps: ActivityDeps,
  key: string,
  customer: CustomerDetails,
  booking: BookedMeeting,
  template: string,
  extra: Record<string, string>,
  pointOfNoReturn: () => Promise<void>,
): Promise<void> {
  const start = DateTime.fromISO(booking.startsAt);
  const email = renderEmail(deps, template, customer, booking.owner, {
    meeting: { ...booking, startsLocal: localTime(start, booking.timeZone), ...extra },
  });
  const invitation: Invitation = {
    uid: `${booking.bookingId}@journeys.local`,
    sequence: booking.sequence,
    start: start.toJSDate(),
    end: DateTime.fromISO(booking.endsAt).toJSDate(),
    summary: `${booking.topic}: ${customer.company}`,
    description: email.text,
    organizer: booking.trainer ?? booking.owner,
    attendees: [customer.contact, booking.owner, ...(booking.trainer ? [booking.trainer] : [])].filter(
      (person, i, all) => all.findIndex((p) => p.email.toLowerCase() === person.email.toLowerCase()) === i,
    ),
  };
  const cancelled = booking.status === 'cancelled';
  const method = cancelled ? 'CANCEL' : 'REQUEST';
  const ics = cancelled ? cancellationIcs(invitation) : invitationIcs(invitation);
  // A contact who unsubscribed since the booking hears nothing more; the owner and the trainer still do.
  const unsubscribed = await deps.suppressions.find(customer.contact.email);
  const recipients = invitation.attendees.filter((person) => !unsubscribed || person.email.toLowerCase() !== unsubscribed.email);
  await sendMail(deps, key, {
    to: recipients.map(address),
    ...email,
    // nodemailer puts the event in twice, as calendar clients expect: an inline text/calendar part (the
    // accept/decline buttons) and an invite.ics attachment.
    icalEvent: { method, content: ics },
  }, pointOfNoReturn);
}

function localTime(at: DateTime, timeZone: string): string {
  return at.setZone(timeZone).toFormat("cccc d LLLL yyyy 'at' HH:mm ZZZZ");
}
