/**
 * Failure types that cross process boundaries: thrown (non-retryable) by activities or by the journey's
 * update handlers, matched by the journey or the API. One name each, written once.
 */

/** The contact unsubscribed before the journey heard of it: no email, a task for the owner instead. */
export const CONTACT_UNSUBSCRIBED = 'ContactUnsubscribed';
/** The worker stopped during a delivery that may have gone out: not repeated, the owner checks it arrived. */
export const DELIVERY_UNCONFIRMED = 'DeliveryUnconfirmed';
/** No trainer has time for a training session within the search window. */
export const NO_TRAINER_AVAILABLE = 'NoTrainerAvailable';
/** The owner has no free business hour for a call within the search window. */
export const NO_FREE_SLOT = 'NoFreeSlot';
/** A reschedule onto a time the trainer (or owner) already gives to another session. */
export const SLOT_TAKEN = 'SlotTaken';
/** A meeting change that cannot apply: to a cancelled meeting, or to a time that is not one. */
export const INVALID_MEETING_CHANGE = 'InvalidMeetingChange';

/** A journey refused an update: it has no such thing (NotFound), or cannot make the change (Refused). */
export const JOURNEY_NOT_FOUND = 'NotFound';
export const JOURNEY_REFUSED = 'Refused';
export type JourneyRefusal = typeof JOURNEY_NOT_FOUND | typeof JOURNEY_REFUSED;
