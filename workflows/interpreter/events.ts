/** Product and billing events: deduplicated, outcomes of the term, attendance, stage exits and milestones reached. */
import { ATTENDED_EVENT, CHURNED_EVENT, NO_SHOW_EVENT, RENEWED_EVENT, type ProductEvent } from '../../contracts/events';
import type { JourneyState } from '../../contracts/journey';
import { stageOf, type Journey } from './journey';
import { findTouchpoint, milestoneDefinition, stageById } from './map-lookups';
import { schedule, scheduleTask } from './schedule';
import { armMilestoneTimings } from './stages';

/** Recent event ids kept to drop duplicates; carried into the next run. */
const SEEN_EVENT_IDS_KEPT = 1000;
const REBOOKED = 'rebooked after a no-show';

/** Records a product event; says whether it was new (the same eventId twice counts once). */
export function recordEvent(j: Journey, event: ProductEvent): boolean {
  const { s, map } = j;
  if (s.seenEventIds.includes(event.eventId)) return false;
  s.seenEventIds.push(event.eventId);
  if (s.seenEventIds.length > SEEN_EVENT_IDS_KEPT) s.seenEventIds.shift();
  s.eventsReceived += 1;

  // An outcome that occurred before this term began is about an earlier term (a billing retry): it changes nothing.
  const aboutThisTerm = event.occurredAt >= s.termStartedAt;
  if (aboutThisTerm && event.type === CHURNED_EVENT && s.outcome?.type !== 'cancelled') {
    // Churn wins even over a renewal not yet acted on: a churned customer must not be carried into a new term.
    s.outcome = { type: 'churned', at: event.occurredAt, eventId: event.eventId };
  } else if (aboutThisTerm && event.type === RENEWED_EVENT && !s.outcome && !repeatsTheRenewal(s, event)) {
    s.outcome = {
      type: 'renewed',
      at: event.occurredAt,
      eventId: event.eventId,
      ...(typeof event.renewsOn === 'string' ? { renewsOn: event.renewsOn } : {}),
    };
  }
  if (event.type === ATTENDED_EVENT || event.type === NO_SHOW_EVENT) recordAttendance(j, event);
  const exit = stageById(map, s.stage).exit?.event;
  if (exit && s.exitEvent?.stage !== s.stage && event.occurredAt >= s.stageEnteredAt && matches(exit, event)) {
    s.exitEvent = { stage: s.stage, eventId: event.eventId, at: event.occurredAt };
  }
  for (const record of s.milestones) {
    if (record.status === 'reached') continue;
    const milestone = milestoneDefinition(map, record.id);
    if (!matches(milestone.event, event)) continue;
    const count = milestone.event.count;
    let reachedAt = event.occurredAt;
    if (count) {
      // "3 logins in a week": some window of that length holds enough matches (events may arrive out of order).
      const windowMs = count.withinDays * s.dayMs;
      const all = [...(record.matches ?? []), event.occurredAt].sort();
      const latest = Date.parse(all.at(-1)!);
      record.matches = all.filter((at) => Date.parse(at) > latest - 2 * windowMs); // older ones can never count again
      const full = record.matches.findIndex((_, i) => {
        const end = record.matches![i + count.times - 1];
        return end !== undefined && Date.parse(end) - Date.parse(record.matches![i]!) < windowMs;
      });
      if (full < 0) continue;
      reachedAt = record.matches[full + count.times - 1]!;
    }
    Object.assign(record, { status: 'reached', reachedAt, eventId: event.eventId });
    if (record.stage === s.stage) armMilestoneTimings(j, record.id);
  }
  return true;
}

/**
 * A renewal reported again under another event id (a billing retry without occurredAt, stamped on arrival)
 * within a day of the renewal that began this term is that renewal, not the next one.
 */
function repeatsTheRenewal(s: JourneyState, event: ProductEvent): boolean {
  const renewedIntoThisTerm = s.previousTerms.at(-1)?.outcome === 'renewed';
  return renewedIntoThisTerm && Date.parse(event.occurredAt) < Date.parse(s.termStartedAt) + s.dayMs;
}

export function matches(pattern: { type: string; match: Record<string, string> }, event: ProductEvent): boolean {
  if (event.type !== pattern.type) return false;
  return Object.entries(pattern.match).every(([field, value]) => String(event[field]) === value);
}

/**
 * Who came to a booked session. A no-show is booked again as many times as the map allows, then the
 * owner gets a task to follow up by hand.
 */
function recordAttendance(j: Journey, event: ProductEvent): void {
  const { s, map, customer } = j;
  // Without a bookingId, the latest session that had begun when the event occurred.
  const booking =
    typeof event.bookingId === 'string'
      ? s.bookings.find((b) => b.bookingId === event.bookingId)
      : s.bookings.filter((b) => !b.attendance && b.status !== 'cancelled' && b.startsAt <= event.occurredAt).at(-1);
  if (!booking || booking.attendance) return;
  booking.attendance = event.type === ATTENDED_EVENT ? 'attended' : 'no-show';
  if (booking.attendance === 'attended') return;
  const record = s.touchpoints.find((t) => t.key === booking.touchpointKey);
  const touchpoint = record && findTouchpoint(map, record.touchpointId);
  if (!record || !touchpoint || (touchpoint.action !== 'call' && touchpoint.action !== 'training')) return;
  const onNoShow = touchpoint.onNoShow;
  // Rebookings of one session are counted, and keyed, apart from the touchpoint's other sessions (a cadence's next one).
  const session = record.key.split('/rebook-')[0]!;
  const rebooks = s.touchpoints.filter((t) => t.key.startsWith(`${session}/rebook-`)).length;
  const stage = stageOf(j, record);
  if (rebooks < onNoShow.rebook) {
    schedule(j, touchpoint, stage, record.occurrence, j.env.now(), REBOOKED, { recurs: false, key: `${session}/rebook-${rebooks + 1}` });
  } else if (onNoShow.task) {
    scheduleTask(j, stage, { id: `${touchpoint.id}-no-show`, title: `${onNoShow.task}: ${customer.company} missed "${booking.topic}"`, role: touchpoint.owner, trigger: 'no-show' });
  }
}
