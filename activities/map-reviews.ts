import { ApplicationFailure } from '@temporalio/activity';
import { mapReviewTaskTitle, type MapReviewTask, type MapReviewTaskInput } from '../contracts/map-review';
import type { ActivityDeps } from './deps';
import { address, renderTemplate, sendMail, smtpRefused } from './mail';

/**
 * Opens the map owner's review task in the worklist and emails it to them, as a journey's owner task is. The
 * role is resolved now, so the person holding it today gets the task; a role the team no longer has cannot be
 * fixed by retrying. The email goes once per task (the ledger's key is the task's id, which comes from the map
 * and the due date): a retry after the task was opened, or a registry that asks again, sends no second one.
 */
export async function openMapReviewTask(deps: ActivityDeps, input: MapReviewTaskInput): Promise<MapReviewTask> {
  const owner = Object.hasOwn(deps.team, input.ownerRole) ? deps.team[input.ownerRole] : undefined;
  if (!owner) {
    throw ApplicationFailure.create({ type: 'UnknownMapOwner', message: `no one on the team is "${input.ownerRole}", the owner of map "${input.mapId}"`, nonRetryable: true });
  }
  const task = await deps.mapReviews.open({
    title: mapReviewTaskTitle(input.mapName),
    owner: { name: owner.name, email: owner.email },
    dueAt: input.dueAt,
    mapId: input.mapId,
    mapVersion: input.mapVersion,
  });
  // Already done (completed before a retry of this activity came): nothing to tell its owner.
  if (task.status === 'open') await emailReviewTask(deps, task, input.mapName);
  return task;
}

function emailReviewTask(deps: ActivityDeps, task: MapReviewTask, mapName: string): Promise<string> {
  const key = `${task.taskId}/email`;
  return deps.ledger.onceWithPointOfNoReturn(key, async (pointOfNoReturn) => {
    const map = { id: task.mapId, name: mapName, version: task.mapVersion };
    const email = renderTemplate(deps, 'map-review-task', { owner: task.owner, task, map });
    return sendMail(deps, key, { to: address(task.owner), ...email }, pointOfNoReturn);
  }, smtpRefused);
}
