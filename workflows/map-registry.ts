import { ActivityFailure, condition, continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PublishedMap } from '../contracts/journey';
import type { JourneyMap } from '../contracts/map';
import { currentReviewDue, firstReviewDue, reviewFieldsProblem, yearsLater, type MapReviewTaskInput } from '../contracts/map-review';
import { publishedMapsQuery, publishMapUpdate } from '../contracts/messages';

/** Older versions kept per map: journeys pin their own copy, so the registry needs only recent ones. */
const VERSIONS_KEPT = 10;

/**
 * Registries started before review tasks have no timer in their history: they replay without one, and keep
 * it from their first activation under this code on (patched() is true once the history is live).
 */
export const MAP_REVIEW_PATCH = 'map-review-tasks';

const { openMapReviewTask } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  // Retried while the database is away; a review task is opened once, by its id, however often it is asked for.
  retry: { maximumInterval: '10 minutes' },
});

export interface MapRegistryInput {
  published?: Record<string, PublishedMap[]>;
  /** Per map, the review due date its owner last got a task for. */
  reviewsTasked?: Record<string, string>;
}

/**
 * The published journey maps, one registry per namespace (workflow id `journey-maps`). Publishing is an
 * update, so every version ever published is in this workflow's history: who published what, and when.
 * Maps arrive validated (the API and CLI run the full schema); the update validator guards the versioning.
 * It also keeps a timer for the earliest review that falls due among the latest versions with an owner, and
 * gives that owner a review task when it fires (contracts/map-review.ts).
 */
export async function mapRegistryWorkflow(input: MapRegistryInput = {}): Promise<void> {
  const published: Record<string, PublishedMap[]> = input.published ?? {};
  const reviewsTasked: Record<string, string> = input.reviewsTasked ?? {};
  // Own properties only: a map id such as "constructor" must not find Object's.
  const versionsOf = (id: string) => (Object.hasOwn(published, id) ? published[id] : undefined);
  /** A version was published since the timer was set: the earliest review may have moved. */
  let republished = false;

  setHandler(publishedMapsQuery, () => published);
  setHandler(
    publishMapUpdate,
    (map) => {
      const versions = versionsOf(map.id) ?? (published[map.id] = []);
      versions.push({ map, publishedAt: new Date(Date.now()).toISOString() });
      if (versions.length > VERSIONS_KEPT) versions.shift();
      republished = true;
      return { id: map.id, version: map.version };
    },
    {
      validator: (map: JourneyMap) => {
        // Checked here too: an update can reach the registry without the API.
        if (typeof map !== 'object' || map === null || typeof map.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(map.id)) {
          throw new Error('a map needs an id of lower-case letters, digits and dashes');
        }
        const latest = versionsOf(map.id)?.at(-1)?.map.version ?? 0;
        if (!Number.isInteger(map.version) || map.version <= latest) {
          throw new Error(`map "${map.id}" version ${map.version} is not newer than the published version ${latest}`);
        }
        const reviewProblem = reviewFieldsProblem(map);
        if (reviewProblem) throw new Error(reviewProblem);
      },
    },
  );

  while (!workflowInfo().continueAsNewSuggested) {
    const review = nextReview(published, reviewsTasked, Date.now());
    const reviewing = review !== undefined && patched(MAP_REVIEW_PATCH);
    if (reviewing && review.at <= Date.now()) {
      await openReviewTask(review.task);
      reviewsTasked[review.task.mapId] = review.task.dueAt;
      continue;
    }
    republished = false;
    const woken = () => republished || workflowInfo().continueAsNewSuggested;
    if (reviewing) await condition(woken, review.at - Date.now());
    else await condition(woken);
  }
  await continueAsNew<typeof mapRegistryWorkflow>({ published, reviewsTasked });
}

/**
 * The earliest review task due among the latest versions with an owner: for each map, the first yearly due date
 * after the one its owner last got a task for, brought up to the latest one not after `now`.
 */
function nextReview(
  published: Record<string, PublishedMap[]>,
  reviewsTasked: Record<string, string>,
  now: number,
): { at: number; task: MapReviewTaskInput } | undefined {
  let next: { at: number; task: MapReviewTaskInput } | undefined;
  for (const versions of Object.values(published)) {
    const latest = versions.at(-1);
    if (!latest?.map.owner) continue;
    let due = firstReviewDue(latest.map, latest.publishedAt);
    if (Number.isNaN(due)) continue;
    const tasked = Object.hasOwn(reviewsTasked, latest.map.id) ? Date.parse(reviewsTasked[latest.map.id]!) : NaN;
    while (due <= tasked) due = yearsLater(due, 1);
    due = currentReviewDue(due, now);
    if (next && next.at <= due) continue;
    const { id, version, name, owner } = latest.map;
    next = { at: due, task: { mapId: id, mapVersion: version, mapName: name, ownerRole: owner, dueAt: new Date(due).toISOString() } };
  }
  return next;
}

/** Opens the owner's task; one that cannot be opened (the team lost the role) is logged, not retried every moment. */
async function openReviewTask(task: MapReviewTaskInput): Promise<void> {
  try {
    await openMapReviewTask(task);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('could not open a map review task', { mapId: task.mapId, dueAt: task.dueAt, error: err.cause?.message ?? err.message });
  }
}
