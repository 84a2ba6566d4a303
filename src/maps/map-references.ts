/** The checks that tie a map's elements together by reference: ids unique, milestones and stages named exist, every stage reachable. */
import type { z } from 'zod';
import type { JourneyMap, Timing, Touchpoint } from '../../contracts/map';

/** Every touchpoint a stage names (scheduled, and escalations of its milestones), with its path in the map. */
export function stageTouchpoints(stage: StageFields, stageIndex: number): { touchpoint: Touchpoint; path: (string | number)[] }[] {
  return [
    ...stage.touchpoints.map((touchpoint, i) => ({ touchpoint, path: ['stages', stageIndex, 'touchpoints', i] })),
    ...stage.milestones.flatMap((m, mi) => [
      ...m.onMissed.touchpoints.map((touchpoint, i) => ({
        touchpoint,
        path: ['stages', stageIndex, 'milestones', mi, 'onMissed', 'touchpoints', i],
      })),
      ...m.onMissed.then.flatMap((level, li) =>
        level.touchpoints.map((touchpoint, i) => ({
          touchpoint,
          path: ['stages', stageIndex, 'milestones', mi, 'onMissed', 'then', li, 'touchpoints', i],
        })),
      ),
    ]),
  ];
}
type StageFields = {
  touchpoints: Touchpoint[];
  milestones: { onMissed: { touchpoints: Touchpoint[]; then: { touchpoints: Touchpoint[] }[] } }[];
};

/** Adds an issue, with its path in the map, for every reference that does not hold. */
export function checkReferences(map: JourneyMap, ctx: z.RefinementCtx): void {
  const stageIds = map.stages.map((stage) => stage.id);
  const seen = new Set<string>();
  const touchpointIds = new Set<string>();
  const milestoneIds = new Set<string>();
  const last = map.stages.length - 1;
  if (map.stages[last]?.exit) {
    ctx.addIssue({
      code: 'custom',
      path: ['stages', last, 'exit'],
      message: 'the last stage lasts until the renewal outcome (renewal.renewed or renewal.churned): remove its exit',
    });
  }
  map.stages.forEach((stage, stageIndex) => {
    if (stage.entry && (stageIndex === last || stage.id === map.renewal.nextTermStage)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', stageIndex, 'entry'],
        message: `every customer must be able to enter stage "${stage.id}" (${stageIndex === last ? 'the last stage' : 'where a renewed term starts'}): remove its entry conditions`,
      });
    }
    stage.entry?.milestones?.forEach((milestoneId, i) => {
      const earlier = map.stages.slice(0, stageIndex).flatMap((s) => s.milestones.map((m) => m.id));
      if (!earlier.includes(milestoneId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', stageIndex, 'entry', 'milestones', i],
          message: `unknown milestone "${milestoneId}" (milestones of earlier stages: ${earlier.join(', ') || 'none'})`,
        });
      }
    });
    if (stageIndex < last && !stage.exit) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', stageIndex, 'exit'],
        message: `stage "${stage.id}" has no exit, so the stages after it (${map.stages
          .slice(stageIndex + 1)
          .map((s) => s.id)
          .join(', ')}) are never reached`,
      });
    }
    stage.milestones.forEach((milestone, i) => {
      if (milestoneIds.has(milestone.id)) {
        ctx.addIssue({ code: 'custom', path: ['stages', stageIndex, 'milestones', i, 'id'], message: `duplicate milestone id "${milestone.id}"` });
      }
      milestoneIds.add(milestone.id);
    });
    if (seen.has(stage.id)) {
      ctx.addIssue({ code: 'custom', path: ['stages', stageIndex, 'id'], message: `duplicate stage id "${stage.id}"` });
    }
    seen.add(stage.id);
    const stageMilestones = new Set(stage.milestones.map((milestone) => milestone.id));
    stage.exit?.milestones?.forEach((milestoneId, i) => {
      if (!stageMilestones.has(milestoneId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', stageIndex, 'exit', 'milestones', i],
          message: `unknown milestone "${milestoneId}" (stage "${stage.id}" defines: ${[...stageMilestones].join(', ') || 'none'})`,
        });
      }
    });
    for (const { touchpoint, path } of stageTouchpoints(stage, stageIndex)) {
      if (touchpointIds.has(touchpoint.id)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate touchpoint id "${touchpoint.id}"` });
      }
      touchpointIds.add(touchpoint.id);
    }
  });
  map.stages.forEach((stage, stageIndex) => {
    const stageMilestones = stage.milestones.map((m) => m.id);
    const fromMilestone = (timing: Timing, path: (string | number)[], self?: string) => {
      if (timing.from !== 'milestone' || !timing.milestone) return;
      if (!stageMilestones.includes(timing.milestone) || timing.milestone === self) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'milestone'],
          message: `unknown milestone "${timing.milestone}" (timing counts from a milestone of stage "${stage.id}": ${stageMilestones.filter((id) => id !== self).join(', ') || 'none'})`,
        });
      }
    };
    stage.touchpoints.forEach((t, i) => fromMilestone(t.at, ['stages', stageIndex, 'touchpoints', i, 'at']));
    stage.milestones.forEach((m, i) => fromMilestone(m.due, ['stages', stageIndex, 'milestones', i, 'due'], m.id));
    for (const { touchpoint, path } of stageTouchpoints(stage, stageIndex)) {
      const step = touchpoint.audience?.stepOutcome?.touchpoint;
      if (step && !touchpointIds.has(step)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'audience', 'stepOutcome', 'touchpoint'], message: `unknown touchpoint "${step}"` });
      }
      checkExperimentAudience(map, touchpoint.audience?.experiment, [...path, 'audience', 'experiment'], ctx);
    }
  });
  map.goals.forEach((goal, g) => {
    if (goal.stage && !stageIds.includes(goal.stage)) {
      ctx.addIssue({ code: 'custom', path: ['goals', g, 'stage'], message: `unknown stage "${goal.stage}" (stages: ${stageIds.join(', ')})` });
    }
    goal.milestones.forEach((milestoneId, i) => {
      if (!milestoneIds.has(milestoneId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['goals', g, 'milestones', i],
          message: `unknown milestone "${milestoneId}" (milestones: ${[...milestoneIds].join(', ')})`,
        });
      }
    });
  });
  checkExperiments(map, milestoneIds, ctx);
  if (!stageIds.includes(map.renewal.nextTermStage)) {
    ctx.addIssue({
      code: 'custom',
      path: ['renewal', 'nextTermStage'],
      message: `unknown stage "${map.renewal.nextTermStage}" (stages: ${stageIds.join(', ')})`,
    });
  }
}

/**
 * Experiment ids and arm ids are unique, and the milestone an experiment is meant to move is one of the map's;
 * an audience names an experiment of the map and arms it has.
 */
function checkExperiments(map: JourneyMap, milestoneIds: Set<string>, ctx: z.RefinementCtx): void {
  const ids = new Set<string>();
  map.experiments.forEach((experiment, e) => {
    if (ids.has(experiment.id)) ctx.addIssue({ code: 'custom', path: ['experiments', e, 'id'], message: `duplicate experiment id "${experiment.id}"` });
    ids.add(experiment.id);
    if (experiment.milestone !== undefined && !milestoneIds.has(experiment.milestone)) {
      ctx.addIssue({ code: 'custom', path: ['experiments', e, 'milestone'], message: `unknown milestone "${experiment.milestone}" (milestones: ${[...milestoneIds].join(', ')})` });
    }
    const arms = new Set<string>();
    experiment.arms.forEach((arm, a) => {
      if (arms.has(arm.id)) ctx.addIssue({ code: 'custom', path: ['experiments', e, 'arms', a, 'id'], message: `duplicate arm id "${arm.id}"` });
      arms.add(arm.id);
    });
  });
}

function checkExperimentAudience(map: JourneyMap, audience: { id: string; arms: string[] } | undefined, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (!audience) return;
  const experiment = map.experiments.find((e) => e.id === audience.id);
  if (!experiment) {
    const known = map.experiments.map((e) => e.id).join(', ') || 'none';
    ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `unknown experiment "${audience.id}" (experiments: ${known})` });
    return;
  }
  audience.arms.forEach((arm, i) => {
    if (!experiment.arms.some((a) => a.id === arm)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'arms', i], message: `unknown arm "${arm}" (experiment "${experiment.id}" has: ${experiment.arms.map((a) => a.id).join(', ')})` });
    }
  });
}
