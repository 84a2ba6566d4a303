/** Product and billing events: the names the engine itself acts on, and the event as a journey receives it. */

/** The billing events that end a term; the product's contract with every map. */
export const RENEWED_EVENT = 'renewal.renewed';
export const CHURNED_EVENT = 'renewal.churned';

/** Attendance events for booked sessions; `bookingId` names the session, else the latest one counts. */
export const ATTENDED_EVENT = 'training.attended';
export const NO_SHOW_EVENT = 'training.no_show';

/** The event as the journey receives it: always with the time it occurred. */
export interface ProductEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  renewsOn?: string;
  [field: string]: string | number | boolean | undefined;
}
