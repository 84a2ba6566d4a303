import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { firstReviewDue, yearsLater } from '../../contracts/map-review';
import type { Database } from '../../src/db/database';
import { PgMapReviewTasks } from '../../src/facts/map-review-tasks';
import { MapRegistry } from '../../src/maps/registry';
import { testDatabase } from '../helpers/database';
import { eventually } from '../helpers/eventually';
import { DAY_MS, defaultMap, testActivityDeps } from '../helpers/fixtures';
import { testDataConverter } from '../helpers/payloads';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { journeyWorkflowBundle } from '../helpers/workflow-bundle';

/**
 * The map registry reminds a map's owner of its yearly review: under time skipping, with the real activity
 * over a real engine database, replayed at every workflow task, and across a worker restart.
 */
let env: TestWorkflowEnvironment;
let db: Database;

beforeAll(async () => {
  [env, db] = await Promise.all([createTimeSkippingEnv(), testDatabase()]);
});

afterAll(async () => {
  await env?.teardown();
});

const SAM = 'sam.rivera@success.example';
const taskQueue = 'map-reviews';

/** A worker that replays the registry at every workflow task (and keeps no sticky queue a stopped worker would hold). */
async function worker() {
  const real = createActivities(testActivityDeps(db));
  const activities = { ...real, openMapReviewTask: jest.fn(real.openMapReviewTask) };
  const w = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await journeyWorkflowBundle(),
    dataConverter: testDataConverter,
    activities,
    maxCachedWorkflows: 0,
  });
  return { worker: w, opened: activities.openMapReviewTask };
}

test('the owner gets one review task a year after the last review, none before, and none twice; a newer review re-arms it', async () => {
  // A map of this test's own: the engine database is shared with other test files.
  const map = { ...defaultMap, id: `reviewed-${Date.now().toString(36)}`, name: 'Reviewed journey', owner: 'successManager' };
  const store = new PgMapReviewTasks(db);
  const reviewTasks = async () => (await store.openTasks(SAM)).filter((task) => task.mapId === map.id);
  const dateOn = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const registry = new MapRegistry(env.client, taskQueue);
  const start = await env.currentTimeMs();
  // Reviewed 200 days ago: due at 00:00 UTC on that date a year later, 165 days from now at most.
  const lastReviewed = dateOn(start - 200 * DAY_MS);
  const due = firstReviewDue({ lastReviewed }, '');

  const first = await worker();
  await first.worker.runUntil(async () => {
    await registry.publish({ ...map, lastReviewed });
    await env.sleep(due - DAY_MS - (await env.currentTimeMs()));
    expect(first.opened).not.toHaveBeenCalled();
    expect(await reviewTasks()).toEqual([]);

    await env.sleep(2 * DAY_MS);
    const [task] = await eventually(async () => {
      const tasks = await reviewTasks();
      expect(tasks).toHaveLength(1);
      return tasks;
    });
    expect(task).toMatchObject({
      kind: 'map-review',
      title: 'Review the journey map Reviewed journey',
      owner: { name: 'Sam Rivera', email: SAM },
      mapId: map.id,
      mapVersion: map.version,
      status: 'open',
      dueAt: new Date(due).toISOString(),
    });
    expect(first.opened).toHaveBeenCalledTimes(1);
  });

  // The worker restarted: still the one task, until the next year's.
  const second = await worker();
  await second.worker.runUntil(async () => {
    await env.sleep(300 * DAY_MS);
    await registry.published();
    expect(second.opened).not.toHaveBeenCalled();
    expect(await reviewTasks()).toHaveLength(1);

    await env.sleep(70 * DAY_MS);
    const tasks = await eventually(async () => {
      const open = await reviewTasks();
      expect(open).toHaveLength(2);
      return open;
    });
    expect(tasks[1]!.dueAt).toBe(new Date(yearsLater(due, 1)).toISOString());

    // Reviewed today and published: the next review is a year away.
    await registry.publish({ ...map, version: map.version + 1, lastReviewed: dateOn(await env.currentTimeMs()) });
    await env.sleep(360 * DAY_MS);
    await registry.published();
    expect(await reviewTasks()).toHaveLength(2);
    expect(second.opened).toHaveBeenCalledTimes(1);
  });
});
