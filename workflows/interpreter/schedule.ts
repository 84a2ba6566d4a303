/** Scheduling: touchpoint occurrences and tasks, what is due next, when to wake, and emails held back for their window or the cap. */
import type { Person } from '../../contracts/customer';
import type { MilestoneRecord, TouchpointRecord } from '../../contracts/journey';
import type { EmailTouchpoint, Stage, Touchpoint } from '../../contracts/map';
import { DAY_MS } from '../../contracts/time';
import { emailSendTime } from './email-pacing';
import { audienceMismatch, iso, ownerFor, type Journey } from './journey';

/** Schedules one occurrence of a touchpoint; one that is not for this customer, or due before the journey began, is recorded as skipped. */
export function schedule(
  j: Journey,
  touchpoint: Touchpoint,
  stage: Stage,
  occurrence: number,
  dueAt: number,
  trigger: string,
  options: { recurs?: boolean; key?: string } = {},
): void {
  const { s } = j;
  const late = dueAt < Date.parse(s.journeyStartedAt) - s.dayMs;
  const notFor = audienceMismatch(j, touchpoint.audience);
  s.touchpoints.push({
    key: options.key ?? `${touchpoint.id}#${occurrence}`,
    touchpointId: touchpoint.id,
    occurrence,
    name: touchpoint.name ?? touchpoint.id,
    stage: stage.id,
    action: touchpoint.action,
    ownerRole: touchpoint.owner,
    owner: ownerFor(j, touchpoint.owner),
    trigger,
    recurs: options.recurs ?? ('every' in touchpoint && touchpoint.every !== undefined),
    dueAt: iso(dueAt),
    // A purchase reported long after the fact does not get a welcome months late.
    ...(notFor
      ? { status: 'skipped', result: `not for this customer (${notFor})` }
      : late
        ? { status: 'skipped', result: 'due before the journey began' }
        : { status: 'pending' }),
  });
}

/** A task the journey makes up on the way (escalations, follow-ups), for the person in a role or a named person. */
export function scheduleTask(
  j: Journey,
  stage: Stage,
  task: { id: string; title: string; role: string; owner?: Person; trigger: string; dueInDays?: number },
): void {
  const { s } = j;
  const occurrence = s.touchpoints.filter((t) => t.touchpointId === task.id).length + 1;
  s.touchpoints.push({
    key: `${task.id}#${occurrence}`,
    touchpointId: task.id,
    occurrence,
    name: task.title,
    stage: stage.id,
    action: 'task',
    ownerRole: task.role,
    owner: task.owner ?? ownerFor(j, task.role),
    trigger: task.trigger,
    recurs: false,
    dueAt: iso(j.env.now()),
    status: 'pending',
    task: { title: task.title, dueInDays: task.dueInDays ?? 2 },
  });
}

/** When a pending touchpoint is due: its time in the map, or later when the window or the cap held it back. */
export function dueTime(record: TouchpointRecord): number {
  return Date.parse(record.sendAt ?? record.dueAt);
}

/** The earliest work due now in the stage: a milestone whose deadline passed, else the earliest due touchpoint. */
export function dueWork(j: Journey, stage: Stage): { missed: MilestoneRecord } | { touchpoint: TouchpointRecord } | undefined {
  const now = j.env.now();
  const missed = j.s.milestones.find((m) => m.stage === stage.id && m.status === 'pending' && m.dueAt && Date.parse(m.dueAt) <= now);
  if (missed) return { missed };
  const due = j.s.touchpoints.filter((t) => t.status === 'pending' && dueTime(t) <= now).sort((a, b) => dueTime(a) - dueTime(b))[0];
  return due ? { touchpoint: due } : undefined;
}

/** After an occurrence of a cadence ran, its next one; after a long outage the cadence picks up from now. */
export function scheduleNextOccurrence(j: Journey, stage: Stage, done: TouchpointRecord): void {
  if (done.task) return; // a task the journey made up is no map touchpoint's occurrence
  const recurring = stage.touchpoints.find((t) => t.id === done.touchpointId && t.every !== undefined);
  if (recurring?.every === undefined || j.s.stage !== stage.id || !done.recurs) return;
  // Missed occurrences are not booked back to back.
  const interval = recurring.every * j.s.dayMs;
  let occurrence = done.occurrence + 1;
  let next = Date.parse(done.dueAt) + interval;
  for (; next <= j.env.now(); next += interval) occurrence += 1;
  schedule(j, recurring, stage, occurrence, next, done.trigger);
}

/**
 * Holds back an email the contact should not get now: outside the delivery window, or over the frequency
 * cap (then delayed, or dropped if the map says so). Says whether it held it back.
 */
export function holdBack(j: Journey, touchpoint: EmailTouchpoint, record: TouchpointRecord): boolean {
  const { s, map } = j;
  // A touchpoint's own window wins over the map's.
  const delivery = { ...map.delivery, ...(touchpoint.window ? { window: touchpoint.window } : {}) };
  if (!delivery.window && !delivery.emailCap) return false;
  const now = j.env.now();
  const sentAt = touchpoint.transactional ? [] : (s.emailsSentAt ?? []).map((t) => Date.parse(t));
  const options = { sentAt, timeZone: j.customer.timeZone, dayMs: s.dayMs, realDayMs: DAY_MS };
  const withCap = emailSendTime({ ...options, dueAt: now, delivery });
  if (withCap <= now) return false;
  const withoutCap = emailSendTime({ ...options, dueAt: now, delivery: { window: delivery.window } });
  const capped = withoutCap < withCap;
  const cap = delivery.emailCap;
  if (capped && touchpoint.whenCapped === 'drop') {
    Object.assign(record, { status: 'skipped', result: `frequency cap: ${cap?.max} emails in ${cap?.perDays} days`, doneAt: iso(now) });
    return true;
  }
  record.sendAt = iso(withCap);
  record.heldBack = capped ? `frequency cap: ${cap?.max} emails in ${cap?.perDays} days` : "outside the contact's delivery window";
  return true;
}

/** Where the journey stands, for the Temporal UI's "current details" (markdown): ops read it without a query. */
export function currentDetails(j: Journey, stage: Stage): string {
  const { s, map } = j;
  const next = s.touchpoints.filter((t) => t.status === 'pending').sort((a, b) => dueTime(a) - dueTime(b))[0];
  const open = s.tasks.filter((t) => t.status !== 'done').length;
  return [
    `**${j.customer.company}** · ${map.name} v${map.version} · term ${s.term} · ${stage.name}${s.atRisk ? ' · **at risk**' : ''}`,
    s.paused
      ? `**Paused** since ${s.paused.at}${s.paused.by ? ` by ${s.paused.by}` : ''}: ${s.paused.reason}`
      : next
        ? `Next: ${next.name} (${next.action}, ${next.owner.name}) at ${iso(dueTime(next))}`
        : 'Next: waiting for the customer',
    `Open tasks: ${open}`,
  ].join('\n\n');
}
