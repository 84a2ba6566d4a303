import ical, { ICalAttendeeRole, ICalCalendarMethod } from 'ical-generator';
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

/** An iCalendar METHOD:REQUEST for one meeting: calendar clients show it with accept/decline. */
export function invitationIcs(invitation: Invitation): string {
  const calendar = ical({
    prodId: { company: 'customer-journeys', product: 'journey-engine', language: 'EN' },
    method: ICalCalendarMethod.REQUEST,
  });
  calendar.createEvent({
    id: invitation.uid,
    sequence: invitation.sequence,
    start: invitation.start,
    end: invitation.end,
    summary: invitation.summary,
    description: invitation.description,
    organizer: invitation.organizer,
    attendees: invitation.attendees.map((person) => ({ ...person, rsvp: true, role: ICalAttendeeRole.REQ })),
  });
  return calendar.toString();
}
