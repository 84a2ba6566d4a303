/** What performing a touchpoint does to the journey: whether it may go ahead now, and how its result, or its failure, is recorded. */
import { CONTACT_UNSUBSCRIBED, DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import type { TouchpointRecord } from '../../contracts/journey';
import type { Audience, Stage } from '../../contracts/map';
import { iso, type Journey } from './journey';
import { scheduleTask } from './schedule';

/** Why a touchpoint may not be performed now (its step outcome, an unsubscribed contact), recorded on it; undefined when it may. */
export function skipBeforePerforming(j: Journey, stage: Stage, record: TouchpointRecord, stepOutcome: Audience['stepOutcome']): boolean {
  const notNow = stepOutcome && stepOutcomeMismatch(j, stepOutcome);
  if (notNow) {
    Object.assign(record, { status: 'skipped', result: `not for this customer (${notNow})`, doneAt: iso(j.env.now()) });
    return true;
  }
  if (j.s.unsubscribed && (record.action === 'email' || record.action === 'call' || record.action === 'training')) {
    unsubscribedInstead(j, stage, record);
    return true;
  }
  return false;
}

/** Why an earlier step's outcome rules a touchpoint out now, or undefined when it may go ahead. */
function stepOutcomeMismatch(j: Journey, condition: NonNullable<Audience['stepOutcome']>): string | undefined {
  const records = j.s.touchpoints.filter((t) => t.touchpointId === condition.touchpoint && t.status !== 'pending');
  const latest = records.at(-1);
  const booking = latest && j.s.bookings.find((b) => b.touchpointKey === latest.key);
  const outcome = booking?.attendance ?? latest?.status ?? 'not yet';
  return outcome === condition.is ? undefined : `${condition.touchpoint} was ${outcome}, not ${condition.is}`;
}

/** The contact unsubscribed: no email goes to them; a session becomes a task for its owner to arrange directly. */
function unsubscribedInstead(j: Journey, stage: Stage, record: TouchpointRecord): void {
  Object.assign(record, { status: 'skipped', result: 'contact unsubscribed from journey emails', doneAt: iso(j.env.now()) });
  if (record.action === 'email') return;
  scheduleTask(j, stage, {
    id: `${record.touchpointId}-direct`,
    title: `Arrange "${record.name}" with ${j.customer.contact.name} directly: they unsubscribed from journey emails`,
    role: record.ownerRole,
    trigger: 'contact unsubscribed',
  });
}

/**
 * A touchpoint's activity failed for good (type: the failure's ApplicationFailure type). An unsubscribe the
 * journey had not heard of skips it; otherwise it is failed (or unconfirmed) and a person picks up what the
 * journey could not do, unless it was that person's own task that failed.
 */
export function recordTouchpointFailure(j: Journey, stage: Stage, record: TouchpointRecord, failure: { type?: string; reason: string }): void {
  if (failure.type === CONTACT_UNSUBSCRIBED) {
    j.s.unsubscribed ??= { email: j.customer.contact.email, at: iso(j.env.now()) };
    unsubscribedInstead(j, stage, record);
    return;
  }
  record.status = failure.type === DELIVERY_UNCONFIRMED ? 'unconfirmed' : 'failed';
  record.result = failure.reason;
  j.env.log.warn('Touchpoint failed for good', { touchpoint: record.key, reason: failure.reason });
  // Journeys from before this rule are left as they were.
  if (record.action !== 'task' && j.env.patched('owner-task-on-failure')) {
    const check = record.status === 'unconfirmed' ? 'Check that it arrived' : 'Do it by hand';
    scheduleTask(j, stage, {
      id: `${record.touchpointId}-failed`,
      title: `${check}: ${record.name} for ${j.customer.company} (${failure.reason})`,
      role: record.ownerRole,
      trigger: `${record.name} ${record.status}`,
    });
  }
  record.doneAt = iso(j.env.now());
}

/** What a webhook tells the receiver about the journey, besides the customer and the touchpoint. */
export function webhookPayload(j: Journey): Record<string, unknown> {
  const { s } = j;
  return {
    stage: s.stage,
    term: s.term,
    atRisk: s.atRisk,
    renewalDate: s.renewalDate,
    milestonesReached: s.milestones.filter((m) => m.status === 'reached').map((m) => m.id),
  };
}
