import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testDataConverter } from '../helpers/payloads';
import { journeyWorkflowBundle } from '../helpers/workflow-bundle';

/**
 * Three journeys recorded by workers before the stale-activation guard (workflows/stale-activation-guard.ts),
 * during a fault-injection run: each recorded, in the first workflow task after its worker was killed, a
 * decision taken on a stale clock (the previous wait armed again), which no replay reproduces. They stay
 * nondeterministic (history cannot be rewritten); the way back for such a journey is a reset to the
 * workflow task that went wrong, which keeps every event before it: that prefix must replay under today's
 * code, so the reset journey carries on. See the folder's README for the commands.
 */
const dir = path.join(__dirname, '..', 'fixtures', 'nondeterministic-histories');
const cases = [
  // file, the event the replay cannot match, the workflow task that recorded it (started, completed)
  { file: 'journey-c1-030.json', badEvent: 60, taskStarted: 58, taskCompleted: 59 },
  { file: 'journey-c1-002.json', badEvent: 65, taskStarted: 63, taskCompleted: 64 },
  { file: 'journey-c5-019.json', badEvent: 45, taskStarted: 43, taskCompleted: 44 },
];

type JsonHistory = { events: { eventId: string; eventType: string }[] };
// With the engine's data converter, as a worker replays them (their payloads are plain JSON, from before encryption).
const replayer = async () => ({ workflowBundle: await journeyWorkflowBundle(), dataConverter: testDataConverter });
const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as JsonHistory;

test.each(cases)('$file: replay first parts from the recording at the stale decision (event $badEvent)', async ({ file, badEvent, taskCompleted }) => {
  const history = load(file);
  expect(history.events.find((e) => Number(e.eventId) === taskCompleted)?.eventType).toBe('EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
  await expect(Worker.runReplayHistory(await replayer(), history, file)).rejects.toThrow(
    `Activity machine does not handle this event: HistoryEvent(id: ${badEvent}, TimerStarted)`,
  );
});

test.each(cases)('$file: reset to event $taskCompleted, the journey replays up to that workflow task', async ({ file, taskStarted }) => {
  const history = load(file);
  // What `temporal workflow reset --event-id <taskCompleted>` keeps: everything up to the task's start.
  const kept = { ...history, events: history.events.filter((e) => Number(e.eventId) <= taskStarted) };
  expect(kept.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_TASK_STARTED');
  await Worker.runReplayHistory(await replayer(), kept, `${file} up to event ${taskStarted}`);
});
