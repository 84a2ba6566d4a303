/** Escalations: missed milestones and their further levels, overdue tasks, and the people they notify. */
import type { MilestoneRecord } from '../../contracts/journey';
import type { EscalationLevel, Milestone, Stage, Touchpoint } from '../../contracts/map';
import { iso, markAtRisk, ownerFor, type Journey } from './journey';
import { findTouchpoint, milestoneDefinition } from './map-lookups';
import { schedule, scheduleTask } from './schedule';

interface DueEscalation {
  at: number;
  level: EscalationLevel & { touchpoints?: Touchpoint[] };
  what: string;
  role: string;
  advance: () => void;
}

/** The escalations that are due or coming: further levels for missed milestones, and overdue tasks. */
export function dueEscalations(j: Journey, stage: Stage): DueEscalation[] {
  const { s, map } = j;
  const due: DueEscalation[] = [];
  for (const record of s.milestones.filter((m) => m.stage === stage.id && m.status === 'missed' && m.dueAt)) {
    const levels = milestoneDefinition(map, record.id).onMissed.then;
    const level = levels[record.escalations ?? 0];
    if (!level) continue;
    due.push({
      at: Date.parse(record.dueAt!) + level.afterDays * s.dayMs,
      level,
      what: `milestone "${record.name}" still not reached`,
      role: stage.owner,
      advance: () => void (record.escalations = (record.escalations ?? 0) + 1),
    });
  }
  for (const task of s.tasks.filter((t) => t.status !== 'done')) {
    const definition = findTouchpoint(map, task.touchpointKey.split('#')[0]!);
    const level = definition?.action === 'task' ? definition.onOverdue[task.escalations ?? 0] : undefined;
    if (!level) continue;
    due.push({
      at: Date.parse(task.dueAt) + level.afterDays * s.dayMs,
      level,
      what: `task "${task.title}" overdue (owner ${task.owner.name})`,
      role: task.ownerRole ?? definition!.owner,
      advance: () => void (task.escalations = (task.escalations ?? 0) + 1),
    });
  }
  return due;
}

/** Runs the earliest escalation level that is due; says whether there was one. */
export function runDueEscalations(j: Journey, stage: Stage): boolean {
  const now = j.env.now();
  const due = dueEscalations(j, stage)
    .filter((e) => e.at <= now)
    .sort((a, b) => a.at - b.at)[0];
  if (!due) return false;
  due.advance();
  j.env.log.info('Escalation', { what: due.what });
  if (due.level.markAtRisk) markAtRisk(j, due.what);
  if (due.level.notify) notify(j, stage, due.role, due.level.notify, due.what);
  for (const touchpoint of due.level.touchpoints ?? []) {
    schedule(j, touchpoint, stage, 1, now, due.what);
  }
  return true;
}

/** Gives the owner's manager (or the person in another role) a task about something that went wrong. */
export function notify(j: Journey, stage: Stage, ownerRole: string, whom: string, what: string): void {
  const owner = ownerFor(j, ownerRole);
  const manager = whom === 'manager';
  scheduleTask(j, stage, {
    id: manager ? 'notify-manager' : `notify-${whom}`,
    title: `Escalation for ${j.customer.company}: ${what}`,
    role: manager ? ownerRole : whom,
    // No manager on record: the owner hears of it, so the escalation still reaches a person.
    owner: manager ? (owner.manager ?? owner) : undefined,
    trigger: what,
  });
}

/** A milestone's deadline passed: record the miss and run its first escalation. */
export function escalateMissedMilestone(j: Journey, stage: Stage, record: MilestoneRecord): void {
  const { s } = j;
  const milestone: Milestone = milestoneDefinition(j.map, record.id);
  const now = j.env.now();
  record.status = 'missed';
  record.missedAt = iso(now);
  j.env.log.info('Milestone missed', { milestone: milestone.id });
  if (Date.parse(record.dueAt!) < Date.parse(s.journeyStartedAt) - s.dayMs) {
    // Missed before the journey began (a purchase reported late): no escalation, at any level.
    record.escalations = milestone.onMissed.then.length;
    return;
  }
  const what = `missed milestone: ${milestone.name}`;
  if (milestone.onMissed.markAtRisk) markAtRisk(j, what);
  if (milestone.onMissed.notify) notify(j, stage, stage.owner, milestone.onMissed.notify, what);
  for (const touchpoint of milestone.onMissed.touchpoints) {
    schedule(j, touchpoint, stage, 1, now, `milestone "${milestone.name}" missed`);
  }
}
