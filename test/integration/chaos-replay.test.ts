import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { purchaseSchema } from '../../src/journeys/customer';
import { JourneyService, journeyWorkflowId } from '../../src/journeys/service';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { MapRegistry } from '../../src/maps/registry';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { connectClient } from '../../src/temporal/client';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testWorkflowBundlePath } from '../helpers/workflow-bundle';
import { journeyStateQuery } from '../../contracts/messages';
import { eventually, freePort } from '../helpers/eventually';
import { catalog, MAPS_DIR, purchaseBody, TEMPLATES_DIR } from '../helpers/fixtures';
import { freshDatabaseUrl } from '../helpers/database';
import { WorkerProcess } from '../helpers/worker-process';
import { testDataConverter, testPayloadKeys } from '../helpers/payloads';

/**
 * No journey may get stuck: journeys on a one-second day run on the real dev server while the worker
 * process is SIGKILLed again and again and every journey's state is queried all the time (what exposed
 * histories that no longer replayed: a query answered by a fresh worker during a timer's firing). At the
 * end every journey's history is replayed with the SDK's replayer, and any nondeterminism fails the test.
 */

const JOURNEYS = 10;
const KILLS = 6;
const SECONDS_PER_DAY = 1;
const TASK_QUEUE = `chaos-${process.pid}-${Date.now()}`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'journeys-chaos-'));
const bundlePath = testWorkflowBundlePath(); // the run's one bundle: a restart takes as long as a production one
let devServer: DevServer | undefined;
let catcher: MailCatcher | undefined;
let client: Client;
let journeys: JourneyService;
let worker: WorkerProcess | undefined;
let databaseUrl: string;

const workerEnv = (): NodeJS.ProcessEnv => ({
  TEMPORAL_ADDRESS: devServer!.address,
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  SMTP_URL: `smtp://127.0.0.1:${catcher!.port}`,
  DATA_DIR: path.join(tmp, 'data'),
  DATABASE_URL: databaseUrl,
  MAPS_DIR,
  TEMPLATES_DIR,
  WORKFLOW_BUNDLE: bundlePath,
  UNSUBSCRIBE_SECRET: 'chaos-unsubscribe-secret',
  WEBHOOK_SECRET: 'chaos-webhook-secret',
  LOG_LEVEL: 'info',
});

beforeAll(async () => {
  databaseUrl = await freshDatabaseUrl();
  devServer = await startTemporalDevServer({ cli: ensureTemporalCli(), dbFile: path.join(tmp, 'temporal.sqlite'), port: await freePort(), uiPort: 0 });
  catcher = await startMailCatcher({ dir: path.join(tmp, 'mail') });
  worker = await WorkerProcess.start(workerEnv());
  client = await connectClient({ temporalAddress: devServer.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_KEYS: testPayloadKeys });
  const maps = new MapRegistry(client, TASK_QUEUE);
  await maps.publishFirstVersions(catalog.all());
  journeys = new JourneyService(client, maps, catalog.team, TASK_QUEUE, true);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await devServer?.stop();
  await catcher?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

process.once('exit', () => worker?.killNow());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(`${JOURNEYS} journeys, the worker SIGKILLed ${KILLS} times while states are queried: every history replays`, async () => {
  const ids = Array.from({ length: JOURNEYS }, (_, i) => `chaos-${i}`);
  for (const [i, customerId] of ids.entries()) {
    await journeys.startJourney(
      purchaseSchema.parse({ ...purchaseBody(customerId), segment: ['scaling', 'startup', 'enterprise'][i % 3], demoClock: { secondsPerDay: SECONDS_PER_DAY } }),
    );
  }

  // Ops (and the console) read every journey's state all the time.
  let querying = true;
  let queries = 0;
  const querier = (async () => {
    while (querying) {
      await Promise.all(ids.map((id) => client.workflow.getHandle(journeyWorkflowId(id)).query(journeyStateQuery).then(() => void (queries += 1), () => undefined)));
      await sleep(200);
    }
  })();
  // The product reports logins and feature use as customers work.
  const events = (async () => {
    for (let day = 1; day <= 12 && querying; day += 1) {
      await sleep(SECONDS_PER_DAY * 1000);
      await Promise.all(
        ids.filter((_, i) => i % 4 !== day % 4).map((id) => journeys.deliverEvent(id, { eventId: `${id}-day-${day}`, type: day % 3 === 0 ? 'feature.used' : 'user.login', feature: 'reports' }).catch(() => undefined)),
      );
    }
  })();

  for (let kill = 0; kill < KILLS; kill += 1) {
    await sleep(3000 + Math.random() * 3000);
    worker!.killNow();
    await worker!.exited;
    // Sometimes at once, sometimes after a pause: timers fire while no worker holds the journeys.
    if (kill % 2 === 1) await sleep(1000 + Math.random() * 2000);
    worker = await WorkerProcess.start(workerEnv());
  }
  await sleep(5000);
  querying = false;
  await Promise.all([querier, events]);

  // Every journey still answers (a journey whose workflow tasks fail answers no query: it is stuck), and its
  // history replays under the same code.
  const stuck: string[] = [];
  const histories = [];
  for (const id of ids) {
    const handle = client.workflow.getHandle(journeyWorkflowId(id));
    await eventually(async () => expect((await handle.query(journeyStateQuery)).stage).toEqual(expect.any(String)), 20_000, 500).catch((err: Error) =>
      stuck.push(`${id}: ${err.message.split('\n')[0]}`),
    );
    histories.push({ workflowId: handle.workflowId, history: await handle.fetchHistory() });
  }
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: bundlePath }, dataConverter: testDataConverter }, histories)) {
    if (result.error) {
      // Kept for whoever looks into it: `temporal workflow show --input <file>`, or a replay test's fixture.
      const file = path.join(os.tmpdir(), `chaos-failed-${result.workflowId}-${Date.now()}.json`);
      writeFileSync(file, historyToJSON(histories.find((h) => h.workflowId === result.workflowId)!.history));
      failures.push(`${result.workflowId} (history in ${file}): ${result.error.message}`);
    }
  }
  console.log(
    `[chaos-replay] ${JOURNEYS} journeys, ${KILLS} kills, ${queries} queries answered, ` +
      `${histories.reduce((n, h) => n + h.history.events!.length, 0)} history events replayed, ${failures.length} replay failures, ${stuck.length} stuck`,
  );
  expect(failures).toEqual([]);
  expect(stuck).toEqual([]);

  // No email went twice.
  const keys = (await catcher!.mailbox.list()).map((m) => m.journeyKey);
  expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
}, 300_000);
