import { invitationIcs } from '../src/delivery/calendar';
import { stableId } from '../src/delivery/ledger';
import { firstMeetingSlot } from '../src/delivery/scheduling';
import type { Person } from '../src/journeys/customer';
import type { ActivityDeps, TouchpointInput } from './deps';
import { address, renderEmail, sendMail } from './mail';

export interface MeetingInput extends TouchpointInput {
  kind: 'call' | 'training';
  topic: string;
  durationMinutes: number;
  /** The meeting goes in the first business-hours slot after this moment, in the customer's time zone. */
  notBefore: string;
}

export interface BookedMeeting {
  bookingId: string;
  kind: 'call' | 'training';
  topic: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  owner: Person;
}

/** Books a call or training session with the owner and emails both sides a calendar invitation (.ics). */
export async function bookMeeting(deps: ActivityDeps, input: MeetingInput): Promise<BookedMeeting> {
  return deps.ledger.once(input.key, async () => {
    const { customer, owner } = input;
    // A touchpoint that runs late (a backdated purchase, a worker that was down) books from now, never in the past.
    const notBefore = new Date(Math.max(Date.parse(input.notBefore), Date.now())).toISOString();
    const slot = firstMeetingSlot(notBefore, customer.timeZone, input.durationMinutes);
    const bookingId = `booking-${stableId(input.key).slice(0, 16)}`;
    const booking: BookedMeeting = {
      bookingId,
      kind: input.kind,
      topic: input.topic,
      startsAt: slot.start.toUTC().toISO()!,
      endsAt: slot.end.toUTC().toISO()!,
      timeZone: customer.timeZone,
      owner,
    };
    const email = renderEmail(deps, `${input.kind}-invitation`, customer, owner, {
      meeting: { ...booking, startsLocal: slot.start.toFormat("cccc d LLLL yyyy 'at' HH:mm ZZZZ") },
    });
    const ics = invitationIcs({
      uid: `${bookingId}@journeys.local`,
      sequence: 0,
      start: slot.start.toJSDate(),
      end: slot.end.toJSDate(),
      summary: `${input.topic}: ${customer.company}`,
      description: email.text,
      organizer: owner,
      attendees: [customer.contact, owner],
    });
    await sendMail(deps, input.key, {
      to: [address(customer.contact), address(owner)],
      ...email,
      icalEvent: { method: 'REQUEST', content: ics },
      attachments: [{ filename: 'invite.ics', content: ics, contentType: 'text/calendar; charset=utf-8; method=REQUEST' }],
    });
    return booking;
  });
}
