import type { JourneyMap, Stage } from '../src/maps/schema';
import type { JourneyState, MilestoneRecord } from './journey';
import { allTouchpoints } from './map-lookups';

/** Moving a journey in flight to another map version: the target map, and where renamed things went. */
export interface MigrationRequest {
  map: JourneyMap;
  /** Old stage id → new stage id, for stages the new version renamed or merged. */
  stageMapping?: Record<string, string>;
  /** Old milestone id → new milestone id. */
  milestoneMapping?: Record<string, string>;
}

/** What a migration changes in one journey: shown by a dry run, returned by the migration. */
export interface MigrationPlan {
  from: string;
  to: string;
  stage: { from: string; to: string };
  /** Pending touchpoints the new version no longer has: they are skipped. */
  droppedTouchpoints: string[];
  /** Touchpoints of the current stage the new version adds: scheduled if still ahead, else skipped. */
  addedTouchpoints: string[];
  /** Milestones the new version no longer has: their records are dropped. */
  droppedMilestones: string[];
  addedMilestones: string[];
}

/**
 * Checks a migration against the journey as it stands and says what it would change. Throws, with the
 * reason, when the journey would be left in a stage, or waiting on a milestone, that the target lacks.
 */
export function planMigration(s: JourneyState, current: JourneyMap, request: MigrationRequest): MigrationPlan {
  const target = request.map;
  const label = (map: JourneyMap) => `${map.id}@${map.version}`;
  if (target.id === current.id && target.version <= current.version) {
    throw new Error(`the journey is on ${label(current)} already; ${label(target)} is not newer`);
  }
  const stageTo = request.stageMapping?.[s.stage] ?? s.stage;
  const targetStage = target.stages.find((stage) => stage.id === stageTo);
  if (!targetStage) {
    throw new Error(
      `the journey is in stage "${s.stage}", which ${label(target)} lacks (stages: ${target.stages.map((st) => st.id).join(', ')}); ` +
        `map it with stageMapping`,
    );
  }
  const mapped = (id: string) => request.milestoneMapping?.[id] ?? id;
  const targetMilestones = new Set(target.stages.flatMap((stage) => stage.milestones.map((m) => m.id)));
  const waitingOn = s.milestones.filter((m) => m.stage === s.stage && m.status === 'pending' && m.dueAt);
  for (const milestone of waitingOn) {
    if (!targetStage.milestones.some((m) => m.id === mapped(milestone.id))) {
      throw new Error(
        `the journey waits on milestone "${milestone.id}", which stage "${stageTo}" of ${label(target)} lacks; map it with milestoneMapping`,
      );
    }
  }
  const targetTouchpoints = new Set(allTouchpoints(target).map((t) => t.id));
  const knownTouchpoints = new Set(s.touchpoints.map((t) => t.touchpointId));
  return {
    from: label(current),
    to: label(target),
    stage: { from: s.stage, to: stageTo },
    // Tasks the journey made up on the way (escalations, follow-ups) belong to no map version: they stay.
    droppedTouchpoints: s.touchpoints.filter((t) => t.status === 'pending' && !t.task && !targetTouchpoints.has(t.touchpointId)).map((t) => t.key),
    addedTouchpoints: targetStage.touchpoints.filter((t) => !knownTouchpoints.has(t.id)).map((t) => t.id),
    droppedMilestones: s.milestones.filter((m) => !targetMilestones.has(mapped(m.id))).map((m) => m.id),
    addedMilestones: [...targetMilestones].filter((id) => !s.milestones.some((m) => mapped(m.id) === id)),
  };
}

/** The journey's milestone records under the target map: carried over by (mapped) id, new ones pending. */
export function migrateMilestones(s: JourneyState, request: MigrationRequest): MilestoneRecord[] {
  const mapped = (id: string) => request.milestoneMapping?.[id] ?? id;
  return request.map.stages.flatMap((stage: Stage) =>
    stage.milestones.map((milestone): MilestoneRecord => {
      const carried = s.milestones.find((m) => mapped(m.id) === milestone.id);
      return carried
        ? { ...carried, id: milestone.id, name: milestone.name, stage: stage.id }
        : { id: milestone.id, name: milestone.name, stage: stage.id, status: 'pending' };
    }),
  );
}
