import type { JourneyMap, Milestone, Stage, Touchpoint } from '../../contracts/map';

/** Finding things in a journey map (read through readPinnedMap, so every field is today's), for the interpreter and the migration planner. */

export function stageById(map: JourneyMap, id: string): Stage {
  const stage = map.stages.find((candidate) => candidate.id === id);
  if (!stage) throw new Error(`map ${map.id}@${map.version} has no stage "${id}"`);
  return stage;
}

export function milestoneDefinition(map: JourneyMap, id: string): Milestone {
  const milestone = map.stages.flatMap((stage) => stage.milestones).find((m) => m.id === id);
  if (!milestone) throw new Error(`map ${map.id}@${map.version} has no milestone "${id}"`);
  return milestone;
}

/** Every touchpoint the map names: scheduled ones and every escalation level's. */
export function allTouchpoints(map: JourneyMap): Touchpoint[] {
  const escalations = (m: Milestone) => [...m.onMissed.touchpoints, ...m.onMissed.then.flatMap((level) => level.touchpoints)];
  return map.stages.flatMap((stage) => [...stage.touchpoints, ...stage.milestones.flatMap(escalations)]);
}

export function findTouchpoint(map: JourneyMap, id: string): Touchpoint | undefined {
  return allTouchpoints(map).find((t) => t.id === id);
}

export function touchpointDefinition(map: JourneyMap, id: string): Touchpoint {
  const touchpoint = findTouchpoint(map, id);
  if (!touchpoint) throw new Error(`map ${map.id}@${map.version} has no touchpoint "${id}"`);
  return touchpoint;
}
