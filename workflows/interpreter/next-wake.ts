/** When the journey wakes next: the earliest of everything it waits for in the current stage. */
import type { Stage } from '../../contracts/map';
import { dueEscalations } from './escalations';
import { stageEndTimes, type Journey } from './journey';
import { dueTime } from './schedule';

/** The next moment something is due in this stage: a touchpoint, an escalation, a milestone deadline, a stage end, a goal. */
export function nextWakeTime(j: Journey, stage: Stage): number | undefined {
  const { s } = j;
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  const times = [
    ...s.touchpoints.filter((t) => t.status === 'pending').map(dueTime),
    ...dueEscalations(j, stage).map((e) => e.at),
    ...s.milestones.filter((m) => m.stage === stage.id && m.status === 'pending' && m.dueAt).map((m) => Date.parse(m.dueAt!)),
    ...[timeLimit, renewalWindow].filter((time) => time !== undefined),
    ...(s.goals ?? []).filter((g) => g.status === 'pending' && g.dueAt).map((g) => Date.parse(g.dueAt!)),
  ];
  return times.length > 0 ? Math.min(...times) : undefined;
}
