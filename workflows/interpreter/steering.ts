/**
 * A person steering a journey: pause it (nothing is performed and no stage moves; product events are held
 * and acted on at the resume, in the order they came), resume it, or cancel it with a reason (it ends, as a
 * churn does, but the customer did not leave). Each check refuses before anything reaches history.
 */
import type { JourneyPause, SteeringRequest } from '../../contracts/journey';
import type { ProductEvent } from '../../contracts/events';
import { fail, iso, type Journey } from './journey';

/** Events held while paused, at most: past it a journey refuses more (recorded) rather than grow without end. */
export const HELD_EVENTS_KEPT = 1000;
const REASON_MAX = 500;

/** A request sent straight to Temporal may be anything: refused unless it is an object of the right fields. */
function checkRequest(request: SteeringRequest): void {
  if (typeof request !== 'object' || request === null) fail('the request must be an object');
  if (request.by !== undefined && (typeof request.by !== 'string' || request.by.length > 200)) fail('"by" must be a name or address of at most 200 characters');
}

function checkReason(request: SteeringRequest): string {
  checkRequest(request);
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (!reason) fail('a reason is required');
  if (reason.length > REASON_MAX) fail(`the reason is longer than ${REASON_MAX} characters`);
  return reason;
}

function checkRunning(j: Journey): void {
  if (j.s.outcome?.type === 'cancelled') fail('the journey is cancelled');
  if (j.s.outcome?.type === 'churned') fail('the customer churned: the journey is ending');
}

export function checkPause(j: Journey, request: SteeringRequest): void {
  checkRunning(j);
  if (j.s.paused) fail(`the journey is already paused (since ${j.s.paused.at}: ${j.s.paused.reason})`);
  checkReason(request);
}

export function checkResume(j: Journey, request: SteeringRequest): void {
  checkRequest(request);
  checkRunning(j);
  if (!j.s.paused) fail('the journey is not paused');
}

export function checkCancel(j: Journey, request: SteeringRequest): void {
  checkRunning(j);
  checkReason(request);
}

export function pause(j: Journey, request: SteeringRequest): JourneyPause {
  const pause: JourneyPause = { at: iso(j.env.now()), reason: checkReason(request), ...(request.by ? { by: request.by } : {}) };
  j.s.paused = pause;
  return pause;
}

/** Ends the pause, and hands back the events held meanwhile, for the journey to act on now. */
export function resume(j: Journey, request: SteeringRequest): { pause: JourneyPause & { resumedAt: string }; held: ProductEvent[] } {
  const pause = { ...j.s.paused!, resumedAt: iso(j.env.now()), ...(request.by ? { resumedBy: request.by } : {}) };
  j.s.pauses = [...(j.s.pauses ?? []), pause];
  delete j.s.paused;
  const held = j.s.heldEvents ?? [];
  delete j.s.heldEvents;
  return { pause, held };
}

/** Keeps an event that arrived while paused; says whether it was kept (false: the journey holds too many). */
export function holdEvent(j: Journey, event: ProductEvent): boolean {
  const held = (j.s.heldEvents ??= []);
  if (held.length >= HELD_EVENTS_KEPT) return false;
  held.push(event);
  return true;
}

export function cancel(j: Journey, request: SteeringRequest): void {
  j.s.outcome = { type: 'cancelled', at: iso(j.env.now()), reason: checkReason(request), ...(request.by ? { by: request.by } : {}) };
}
