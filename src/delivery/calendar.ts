import ical, { ICalAttendeeRole, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Person } from '../journeys/customer';

export interface Invitation {
  uid: string;
  /** Raised on every change to the same meeting (reschedule, cancellation). */
  sequence: number;
  start: Date;
  end: Date;
  summary: string;
  description: string;
  organizer: Person;
  attendees: Person[];
}

/** An iCalendar METHOD:REQUEST for one meeting (new or changed): calendar clients show it with accept/decline. */
export function invitationIcs(invitation: Invitation): string {
  return meetingIcs(invitation, ICalCalendarMethod.REQUEST, ICalEventStatus.CONFIRMED);
}

/**
 * An iCalendar METHOD:CANCEL for a meeting sent before: calendar clients remove the event with the
 * same UID, provided the SEQUENCE is higher than the last one they saw.
 */
export function cancellationIcs(invitation: Invitation): string {
  return meetingIcs(invitation, ICalCalendarMethod.CANCEL, ICalEventStatus.CANCELLED);
}

function meetingIcs(invitation: Invitation, method: ICalCalendarMethod, status: ICalEventStatus): string {
  const calendar = ical({
    prodId: { company: 'customer-journeys', product: 'journey-engine', language: 'EN' },
    method,
  });
  calendar.createEvent({
    id: invitation.uid,
    sequence: invitation.sequence,
    status,
    start: invitation.start,
    end: invitation.end,
    summary: invitation.summary,
    description: invitation.description,
    // Name and email only: an owner may carry more (their manager), which is no business of the calendar.
    organizer: { name: invitation.organizer.name, email: invitation.organizer.email },
    attendees: invitation.attendees.map(({ name, email }) => ({ name, email, rsvp: true, role: ICalAttendeeRole.REQ })),
  });
  return calendar.toString();
}
