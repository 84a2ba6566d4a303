import { ApplicationFailure } from '@temporalio/activity';
import { mapReviewTaskTitle, type MapReviewTask, type MapReviewTaskInput } from '../contracts/map-review';
import type { ActivityDeps } from './deps';

/**
 * Opens the map owner's review task in the worklist. The role is resolved now, so the person holding it today
 * gets the task; a role the team no longer has cannot be fixed by retrying.
 */
export async function openMapReviewTask(deps: ActivityDeps, input: MapReviewTaskInput): Promise<MapReviewTask> {
  const owner = Object.hasOwn(deps.team, input.ownerRole) ? deps.team[input.ownerRole] : undefined;
  if (!owner) {
    throw ApplicationFailure.create({ type: 'UnknownMapOwner', message: `no one on the team is "${input.ownerRole}", the owner of map "${input.mapId}"`, nonRetryable: true });
  }
  return deps.mapReviews.open({
    title: mapReviewTaskTitle(input.mapName),
    owner: { name: owner.name, email: owner.email },
    dueAt: input.dueAt,
    mapId: input.mapId,
    mapVersion: input.mapVersion,
  });
}
