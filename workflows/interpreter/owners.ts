/** Owners and what they change through updates: tasks completed, roles reassigned, bookings changed, unsubscribes. */
import { JOURNEY_NOT_FOUND } from '../../contracts/failures';
import type { Owner, Person } from '../../contracts/customer';
import type { Booking, OwnerReassignment, OwnerTask, TaskCompletion } from '../../contracts/journey';
import { fail, iso, publishTaskOwners, type Journey } from './journey';

export function taskById(j: Journey, taskId: string): OwnerTask {
  const task = j.s.tasks.find((t) => t.taskId === taskId);
  if (!task) fail(`this journey has no task "${taskId}"`, JOURNEY_NOT_FOUND);
  return task;
}

/** Completes a task once; completing it again answers the first completion unchanged. */
export function completeTask(j: Journey, completion: TaskCompletion): OwnerTask {
  const task = taskById(j, completion.taskId);
  if (task.status === 'done') return task;
  Object.assign(task, {
    status: 'done',
    completedAt: iso(j.env.now()),
    outcome: completion.outcome,
    ...(completion.notes ? { notes: completion.notes } : {}),
  });
  publishTaskOwners(j);
  return task;
}

/** Refuses a reassignment of a role the journey does not have. */
export function checkRole(j: Journey, role: string): void {
  const roles = Object.keys(j.s.owners ?? j.customer.owners);
  if (!roles.includes(role)) fail(`this journey has no role "${role}" (roles: ${roles.join(', ')})`);
}

/** Someone else holds a role from now on: what is pending or open for that role moves to them. */
export function reassignOwner(j: Journey, role: string, owner: Owner): OwnerReassignment {
  const { s } = j;
  const owners = (s.owners ??= {});
  const previous = owners[role];
  owners[role] = owner;
  // What the previous holder had in this role moves; what reached someone else (a manager's escalation) stays.
  const theirs = (ownerRole: string | undefined, person: Person) =>
    (ownerRole === undefined || ownerRole === role) && person.email.toLowerCase() === previous?.email.toLowerCase();
  const movedTouchpoints = s.touchpoints.filter((t) => t.status === 'pending' && theirs(t.ownerRole, t.owner));
  for (const record of movedTouchpoints) record.owner = owner;
  const movedTasks = s.tasks.filter((t) => t.status !== 'done' && theirs(t.ownerRole, t.owner));
  for (const task of movedTasks) task.owner = owner;
  j.env.upsertSearchAttributes({ owners: [...new Set(Object.values(owners).map((o) => o.email))] });
  publishTaskOwners(j);
  return {
    role,
    owner,
    ...(previous ? { previous } : {}),
    movedTasks: movedTasks.map((t) => t.taskId),
    movedTouchpoints: movedTouchpoints.map((t) => t.key),
  };
}

/** The booking a meeting change applies to; refused when there is none or it is cancelled. */
export function changeableBooking(j: Journey, bookingId: string): Booking {
  const booking = j.s.bookings.find((b) => b.bookingId === bookingId);
  if (!booking) fail(`this journey has no booking "${bookingId}"`, JOURNEY_NOT_FOUND);
  if (booking.status === 'cancelled') fail(`booking "${bookingId}" is cancelled`);
  return booking;
}

/** The contact unsubscribed (the unsubscribe page told the journey); says whether it changed anything. */
export function recordUnsubscribe(j: Journey, unsubscribe: { email: string; at: string }): boolean {
  if (unsubscribe.email.toLowerCase() !== j.customer.contact.email.toLowerCase() || j.s.unsubscribed) return false;
  j.s.unsubscribed = { email: unsubscribe.email, at: unsubscribe.at };
  return true;
}
