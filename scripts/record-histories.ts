/**
 * Records journey histories as replay fixtures (`npm run record-histories`). Run it after changing
 * the interpreter on purpose and keep the old fixtures: test/replay proves journeys recorded under
 * earlier code still replay under the new code (changes that alter commands need patched()). Files are
 * named by map, version, story, the day of recording and the journeys' revision, so a new recording never replaces an old one.
 *
 * `npm run record-histories -- default adopts-and-renews` records only the maps and stories named. The
 * activities write to a PostgreSQL of the script's own (embedded, thrown away after) unless
 * TEST_POSTGRES_URL names one.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../src/config';
import { JOURNEY_REVISION } from '../contracts/journey';
import type { JourneyMap } from '../src/maps/schema';
import { cancelJourneyUpdate, completeTaskUpdate, contactUnsubscribedSignal, pauseJourneyUpdate, productEventSignal, resumeJourneyUpdate } from '../contracts/messages';
import { catalog, DAY_MS, productEvent, testActivityDeps } from '../test/helpers/fixtures';
import { createTimeSkippingEnv, runJourney, type JourneyStory } from '../test/helpers/time-skipping';
import { freePort } from '../test/helpers/eventually';
import { encodingOf, payloadsIn, testPayloadCodec } from '../test/helpers/payloads';
import { payloadFromJson, payloadToJson } from '../src/api/codec-endpoint';
import { ENCRYPTED_ENCODING } from '../src/temporal/payload-codec';
import { Worker } from '@temporalio/worker';
import { MAP_REGISTRY_WORKFLOW_ID, MapRegistry } from '../src/maps/registry';
import { journeyWorkflowBundle } from '../test/helpers/workflow-bundle';
import { testDataConverter } from '../test/helpers/payloads';
import { testDatabase } from '../test/helpers/database';
import { createActivities } from '../activities';

const stories: Record<string, (ctx: JourneyStory<never>) => Promise<void>> = {
  'adopts-and-renews': async ({ handle, purchasedAt, untilDay }) => {
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt));
    await untilDay(2);
    await handle.signal(productEventSignal, productEvent('feature.used', { feature: 'reports' }, purchasedAt));
    await handle.signal(productEventSignal, productEvent('integration.connected', {}, purchasedAt));
    await untilDay(340);
    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, purchasedAt + 340 * DAY_MS));
    await untilDay(420);
  },
  'never-logs-in': async ({ untilDay }) => {
    await untilDay(120);
  },
  // The owner completes the missed-login task, the customer misses the training that was booked, and
  // later unsubscribes: updates, attendance and suppression in one history.
  'tasks-no-show-unsubscribes': async ({ handle, purchasedAt, untilDay, state }) => {
    await untilDay(8);
    const [task] = (await state()).tasks;
    if (task) await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: task.taskId, outcome: 'called the contact' }] });
    await untilDay(22);
    await handle.signal(productEventSignal, productEvent('training.no_show', {}, purchasedAt + 22 * DAY_MS));
    await untilDay(30);
    await handle.signal(contactUnsubscribedSignal, { email: 'ana@acme.example', at: new Date(purchasedAt + 30 * DAY_MS).toISOString() });
    await untilDay(120);
  },
  // Paused on day 1 with a login held meanwhile, resumed on day 10, cancelled on day 30: steering in one history.
  'paused-resumed-cancelled': async ({ handle, purchasedAt, untilDay }) => {
    await untilDay(1);
    await handle.executeUpdate(pauseJourneyUpdate, { args: [{ reason: 'contract under review', by: 'ops@success.example' }] });
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + DAY_MS));
    await untilDay(10);
    await handle.executeUpdate(resumeJourneyUpdate, { args: [{}] });
    await untilDay(30);
    await handle.executeUpdate(cancelJourneyUpdate, { args: [{ reason: 'duplicate account' }] });
    await handle.result();
  },
  churns: async ({ handle, purchasedAt, untilDay }) => {
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt));
    await untilDay(300);
    await handle.signal(productEventSignal, productEvent('renewal.churned', {}, purchasedAt + 300 * DAY_MS));
    await handle.result();
  },
};

async function main() {
  const only = process.argv.slice(2);
  const chosen = (id: string, ids: string[]) => only.length === 0 || only.includes(id) || !ids.some((other) => only.includes(other));
  const stopPostgres = await ensurePostgres();
  try {
    // `map-registry` alone records the registry alone.
    if (only.length === 0 || only.includes('map-registry')) await recordRegistry();
    if (only.length === 1 && only[0] === 'map-registry') return;
    for (const map of catalog.all().filter((m) => chosen(m.id, catalog.all().map((each) => each.id)))) {
      for (const [name, story] of Object.entries(stories).filter(([id]) => chosen(id, Object.keys(stories)))) {
        // A fresh test server per story: each starts from a clean clock.
        const env = await createTimeSkippingEnv();
        try {
          await runJourney(env, (real) => real as never, (ctx) => recordStory(env, map, name, story, ctx), { map });
        } finally {
          await env.teardown();
        }
      }
    }
  } finally {
    await stopPostgres();
  }
}

/** The activities' engine database: TEST_POSTGRES_URL's server, or an embedded one started here. Returns how to stop it. */
async function ensurePostgres(): Promise<() => Promise<void>> {
  if (process.env.TEST_POSTGRES_URL) return () => Promise.resolve();
  const { startEmbeddedPostgres } = await import('../src/db/embedded'); // loaded only when it is needed
  const dir = mkdtempSync(path.join(os.tmpdir(), 'record-histories-postgres-'));
  chmodSync(dir, 0o755); // PostgreSQL may run as the postgres user (see src/db/embedded.ts)
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), port: await freePort(), password: 'record-histories' });
  process.env.TEST_POSTGRES_URL = server.adminUrl;
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Plays one story and writes every run of the journey: a renewal continues as new, so a story can span several. */
async function recordStory(
  env: TestWorkflowEnvironment,
  map: JourneyMap,
  name: string,
  story: (ctx: JourneyStory<never>) => Promise<void>,
  ctx: JourneyStory<never>,
) {
  const dir = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
  await story(ctx);
  // Named by the recording too: maps change within a version before release, and every recording stays.
  const recordedOn = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  let runId: string | null | undefined = ctx.handle.firstExecutionRunId;
  for (let run = 1; runId; run += 1) {
    const history = await env.client.workflow.getHandle(ctx.handle.workflowId, runId).fetchHistory();
    const file = path.join(dir, `${map.id}-v${map.version}-${name}-${recordedOn}-rev${JOURNEY_REVISION}-run${run}.json`);
    writeFileSync(file, await decryptedHistoryJson(history));
    console.log(`recorded ${path.relative(PROJECT_ROOT, file)} (${history.events?.length} events)`);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
}

/**
 * The map registry's history: versions published with and without an owner and a review date, a year and more
 * apart, so a change to the registry's commands (its review timer) is proven against registries already running.
 */
async function recordRegistry() {
  const env = await createTimeSkippingEnv();
  try {
    const taskQueue = 'record-map-registry';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await journeyWorkflowBundle(),
      dataConverter: testDataConverter,
      // The review task falls due on the way: the real activity opens it in the script's database.
      activities: createActivities(testActivityDeps(await testDatabase())),
    });
    await worker.runUntil(async () => {
      const registry = new MapRegistry(env.client, taskQueue);
      const [first, second] = catalog.all();
      const reviewed = async (daysAgo: number) => new Date((await env.currentTimeMs()) - daysAgo * DAY_MS).toISOString().slice(0, 10);
      await registry.publish({ ...first!, owner: 'successManager', lastReviewed: await reviewed(300) });
      await registry.publish(second!);
      await env.sleep(100 * DAY_MS);
      await registry.publish({ ...first!, version: first!.version + 1, owner: 'successManager', lastReviewed: await reviewed(10) });
      await env.sleep(400 * DAY_MS);
      await registry.published();
      const history = await env.client.workflow.getHandle(MAP_REGISTRY_WORKFLOW_ID).fetchHistory();
      const recordedOn = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      const file = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories', `map-registry-${recordedOn}-run1.json`);
      writeFileSync(file, await decryptedHistoryJson(history));
      console.log(`recorded ${path.relative(PROJECT_ROOT, file)} (${history.events?.length} events)`);
    });
  } finally {
    await env.teardown();
  }
}

/**
 * The history as JSON with its payloads decrypted. The test server's client and worker encrypt with the tests'
 * keys, as the engine does with its own; a fixture is kept plain instead, so it can be read, reviewed and
 * diffed, and replays without any key, like the journeys recorded before encryption. The replay tests run with
 * the engine's data converter, which takes plain payloads as they are, as a worker takes old histories.
 */
async function decryptedHistoryJson(history: Parameters<typeof historyToJSON>[0]): Promise<string> {
  const json: unknown = JSON.parse(historyToJSON(history));
  for (const payload of payloadsIn(json).filter((each) => encodingOf(each) === ENCRYPTED_ENCODING)) {
    const [decoded] = await testPayloadCodec.decode([payloadFromJson(payload)]);
    const plain = payloadToJson(decoded!);
    payload.metadata = plain.metadata;
    payload.data = plain.data;
  }
  return JSON.stringify(json, null, 2);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
