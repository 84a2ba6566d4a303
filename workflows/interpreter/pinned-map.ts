/**
 * The one place a map pinned by a journey is read: maps pinned before the language grew lack the fields
 * added since, and each gets the value that keeps what that journey did then (a rule no journey of the old
 * shape knew about does nothing for it). The rules then read every field as today's language has it.
 *
 * Shapes pinned so far (the replay fixtures hold journeys of each):
 * - 2026-11-17 (session 1): no goals, delivery rules, escalation levels, no-show follow-ups, overdue
 *   escalations of tasks, transactional emails or what the frequency cap does.
 * - 2026-11-24, early: goals, but none of the rest.
 * - 2026-11-24 to 2026-12-01: no experiments.
 * - 2026-12-02 on: today's language.
 */
import type { JourneyMap, Milestone, ScheduledTouchpoint, Stage, Touchpoint } from '../../contracts/map';

/** A map as some journey pinned it: today's shape, or an older one with fewer fields. */
export type PinnedMap = Omit<JourneyMap, 'goals' | 'delivery' | 'experiments'> & Partial<Pick<JourneyMap, 'goals' | 'delivery' | 'experiments'>>;

export function readPinnedMap(map: PinnedMap): JourneyMap {
  return {
    ...map,
    goals: map.goals ?? [],
    delivery: map.delivery ?? {},
    experiments: map.experiments ?? [],
    stages: map.stages.map(upgradeStage),
  };
}

function upgradeStage(stage: Stage): Stage {
  return {
    ...stage,
    touchpoints: stage.touchpoints.map((t) => upgradeTouchpoint<ScheduledTouchpoint>(t)),
    milestones: stage.milestones.map(upgradeMilestone),
    ...(stage.exit ? { exit: { ...stage.exit, atRiskIfIncomplete: stage.exit.atRiskIfIncomplete ?? false } } : {}),
  };
}

function upgradeMilestone(milestone: Milestone): Milestone {
  const onMissed = milestone.onMissed;
  return {
    ...milestone,
    event: { ...milestone.event, match: milestone.event.match ?? {} },
    onMissed: {
      ...onMissed,
      touchpoints: (onMissed.touchpoints ?? []).map(upgradeTouchpoint),
      // Before escalation levels, a miss escalated once.
      then: (onMissed.then ?? []).map((level) => ({ ...level, touchpoints: (level.touchpoints ?? []).map(upgradeTouchpoint) })),
    },
  };
}

function upgradeTouchpoint<T extends Touchpoint>(touchpoint: T): T {
  const t: Touchpoint = touchpoint;
  switch (t.action) {
    case 'email':
      // Before transactional emails and the frequency cap, every email was an ordinary one, sent when due.
      return { ...t, transactional: t.transactional ?? false, whenCapped: t.whenCapped ?? 'delay' } as T;
    case 'call':
    case 'training':
      // Before no-show follow-ups, a no-show was recorded and nothing more: no rebooking, no task.
      return { ...t, onNoShow: t.onNoShow ?? { rebook: 0 } } as T;
    case 'task':
      return { ...t, onOverdue: t.onOverdue ?? [] } as T;
    default:
      return touchpoint;
  }
}
