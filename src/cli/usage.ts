import type { JourneyMap } from '../maps/schema';

/** A mistake in what the user gave the CLI: printed as is, exit 1. */
export class UsageError extends Error {}

/** One line about a map, as the CLI prints it after checking it. */
export function describeMap(map: JourneyMap): string {
  const touchpoints = map.stages.reduce((n, s) => n + s.touchpoints.length, 0);
  const milestones = map.stages.reduce((n, s) => n + s.milestones.length, 0);
  return `map "${map.id}" version ${map.version}: ${map.stages.length} stages, ${touchpoints} touchpoints, ${milestones} milestones`;
}
