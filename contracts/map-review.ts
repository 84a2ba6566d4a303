/**
 * Maps are reviewed at least yearly: when a map's review falls due, and the task its owner gets then. The
 * rule is shared by the map registry workflow (which arms a timer for it) and the API (which flags the map),
 * so both agree to the millisecond.
 *
 * A review is due a year after `lastReviewed` (at 00:00 UTC on that date a year later; 29 February reviews
 * fall due on 1 March), then again every year while no newer review is published. A version without
 * `lastReviewed` was never reviewed: its review is due from its publication.
 */
import type { Person } from './customer';
import type { JourneyMap } from './map';

/** A review task: the owner's, for one map, once per overdue year. */
export interface MapReviewTask {
  kind: 'map-review';
  taskId: string;
  title: string;
  owner: Person;
  /** When the review fell due. */
  dueAt: string;
  mapId: string;
  /** The version that was due for review when the task was made. */
  mapVersion: number;
  status: 'open' | 'done';
  completedAt?: string;
  outcome?: string;
  notes?: string;
}

/** What the registry asks the openMapReviewTask activity for: the owner is a role, resolved to the person holding it. */
export interface MapReviewTaskInput {
  mapId: string;
  mapVersion: number;
  mapName: string;
  ownerRole: string;
  dueAt: string;
}

export const mapReviewTaskTitle = (mapName: string) => `Review the journey map ${mapName}`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The same calendar instant `years` later, in UTC (Date.UTC rolls 29 February over to 1 March). */
export function yearsLater(instant: number, years: number): number {
  const d = new Date(instant);
  return Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** When the version's first review falls due, or NaN for a review date that is not YYYY-MM-DD. */
export function firstReviewDue(map: Pick<JourneyMap, 'lastReviewed'>, publishedAt: string): number {
  if (map.lastReviewed === undefined) return Date.parse(publishedAt);
  const parts = DATE.exec(map.lastReviewed);
  return parts ? Date.UTC(Number(parts[1]) + 1, Number(parts[2]) - 1, Number(parts[3])) : NaN;
}

/** True when the version's review is due at `now`: reviewed more than a year ago, or never. */
export function isReviewOverdue(map: Pick<JourneyMap, 'lastReviewed'>, publishedAt: string, now: number): boolean {
  return !(firstReviewDue(map, publishedAt) > now);
}

/**
 * The latest of the review's yearly due dates not after `now`, or its first when that is later: a registry
 * that was stopped for two years gives its owner one task, for this year, not one for each year missed.
 */
export function currentReviewDue(firstDue: number, now: number): number {
  let due = firstDue;
  while (yearsLater(due, 1) <= now) due = yearsLater(due, 1);
  return due;
}

/** Why an update's map cannot be reviewed as given (the registry's validator: updates may bypass the API), or undefined. */
export function reviewFieldsProblem(map: { owner?: unknown; lastReviewed?: unknown }): string | undefined {
  if (map.owner !== undefined && (typeof map.owner !== 'string' || map.owner === '')) return 'a map\'s owner must be a role of the team';
  if (map.lastReviewed === undefined) return undefined;
  if (typeof map.lastReviewed !== 'string' || Number.isNaN(firstReviewDue({ lastReviewed: map.lastReviewed }, ''))) {
    return 'a map\'s lastReviewed must be a date as YYYY-MM-DD';
  }
  return undefined;
}
