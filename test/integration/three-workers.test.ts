import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { JourneyState } from '../../contracts/journey';
import { journeyStateQuery } from '../../contracts/messages';
import { openDatabase, type Database } from '../../src/db/database';
import { purchaseSchema } from '../../src/journeys/customer';
import { JourneyService, journeyWorkflowId } from '../../src/journeys/service';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { MapRegistry } from '../../src/maps/registry';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { connectClient } from '../../src/temporal/client';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testWorkflowBundlePath } from '../helpers/workflow-bundle';
import { freshDatabaseUrl } from '../helpers/database';
import { eventually, freePort } from '../helpers/eventually';
import { catalog, MAPS_DIR, purchaseBody, TEMPLATES_DIR } from '../helpers/fixtures';
import { WorkerProcess } from '../helpers/worker-process';
import { testPayloadKeys } from '../helpers/payloads';

/**
 * Scale-out as on three machines: three worker processes, each with its own empty data folder, sharing only
 * Temporal and the engine database, run a cohort of journeys on a compressed clock (welcome emails, kickoff
 * calls with the one success manager, login-help emails and tasks, reports trainings with the trainers).
 * Every email goes out exactly once, nobody is booked twice at once, and no worker writes engine data as files.
 */
const JOURNEYS = 12;
const SECONDS_PER_DAY = 1;
const WORKERS = 3;
const TASK_QUEUE = `three-workers-${process.pid}-${Date.now()}`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'journeys-three-workers-'));
const bundlePath = testWorkflowBundlePath(); // the run's one bundle: a restart takes as long as a production one
const dataDirs = Array.from({ length: WORKERS }, (_, i) => path.join(tmp, `machine-${i + 1}`));
let devServer: DevServer | undefined;
let catcher: MailCatcher | undefined;
let client: Client;
let journeys: JourneyService;
let db: Database;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const databaseUrl = await freshDatabaseUrl();
  db = await openDatabase(databaseUrl, { max: 2, idleMs: 1_000 });
  devServer = await startTemporalDevServer({ cli: ensureTemporalCli(), dbFile: path.join(tmp, 'temporal.sqlite'), port: await freePort(), uiPort: 0 });
  catcher = await startMailCatcher({ dir: path.join(tmp, 'mail') });
  for (const dataDir of dataDirs) {
    workers.push(
      await WorkerProcess.start({
        TEMPORAL_ADDRESS: devServer.address,
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        SMTP_URL: `smtp://127.0.0.1:${catcher.port}`,
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        MAPS_DIR,
        TEMPLATES_DIR,
        WORKFLOW_BUNDLE: bundlePath,
        UNSUBSCRIBE_SECRET: 'three-workers-unsubscribe-secret',
        WEBHOOK_SECRET: 'three-workers-webhook-secret',
        LOG_LEVEL: 'info',
      }),
    );
  }
  client = await connectClient({ temporalAddress: devServer.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_KEYS: testPayloadKeys });
  const maps = new MapRegistry(client, TASK_QUEUE);
  await maps.publishFirstVersions(catalog.all());
  journeys = new JourneyService(client, maps, catalog.team, TASK_QUEUE, true);
}, 180_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await client?.connection.close();
  await devServer?.stop();
  await catcher?.close();
  await db?.end();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

process.once('exit', () => workers.forEach((worker) => worker.killNow()));

test(`${JOURNEYS} journeys on ${WORKERS} workers that share only Temporal and PostgreSQL: every email once, nobody double-booked`, async () => {
  const ids = Array.from({ length: JOURNEYS }, (_, i) => `cohort-${i}`);
  for (const id of ids) {
    await journeys.startJourney(purchaseSchema.parse({ ...purchaseBody(id), segment: 'scaling', demoClock: { secondsPerDay: SECONDS_PER_DAY } }));
  }
  // A third of the customers log in and use reports early; the others get the login help and a reports training.
  await new Promise((resolve) => setTimeout(resolve, 3 * SECONDS_PER_DAY * 1000));
  for (const id of ids.filter((_, i) => i % 3 === 0)) {
    await journeys.deliverEvent(id, { eventId: `${id}-login`, type: 'user.login' });
    await journeys.deliverEvent(id, { eventId: `${id}-reports`, type: 'feature.used', feature: 'reports' });
  }

  // Until every journey has had its reports training, or no need of one.
  const states = await eventually(
    async () => {
      const all = await Promise.all(ids.map((id) => client.workflow.getHandle(journeyWorkflowId(id)).query(journeyStateQuery)));
      const waiting = all.filter((s, i) => i % 3 !== 0 && !s.touchpoints.some((t) => t.touchpointId === 'reports-training' && t.status !== 'pending'));
      if (waiting.length > 0) throw new Error(`${waiting.length} journeys still before their reports training`);
      return all;
    },
    120_000,
    1_000,
  );

  // Every email exactly once: each touchpoint that sent one has one message per recipient, and no key twice.
  const mail = await catcher!.mailbox.list();
  const perKeyAndRecipient = new Map<string, number>();
  for (const m of mail) for (const to of m.to) perKeyAndRecipient.set(`${m.journeyKey} ${to}`, (perKeyAndRecipient.get(`${m.journeyKey} ${to}`) ?? 0) + 1);
  expect([...perKeyAndRecipient.entries()].filter(([, n]) => n > 1)).toEqual([]);
  for (const [i, s] of states.entries()) {
    const contact = purchaseBody(ids[i]!).contact.email;
    const toContact = mail.filter((m) => m.to.includes(contact));
    const emailsDone = doneTouchpoints(s).filter((t) => t.action === 'email');
    const meetingsDone = doneTouchpoints(s).filter((t) => t.action === 'call' || t.action === 'training');
    expect(emailsDone.map((t) => t.touchpointId)).toContain('welcome-email');
    // One message per email touchpoint and per meeting invitation, and nothing else to the contact.
    expect(toContact).toHaveLength(emailsDone.length + meetingsDone.length);
  }
  expect(states.filter((_, i) => i % 3 !== 0).every((s) => doneTouchpoints(s).some((t) => t.touchpointId === 'reports-training'))).toBe(true);

  // Nobody double-booked: every meeting the journeys hold is in the calendar, and no two of one host overlap.
  const booked = states.flatMap((s) => s.bookings.filter((b) => b.status === 'booked'));
  expect(booked.filter((b) => b.kind === 'training').length).toBeGreaterThanOrEqual((JOURNEYS * 2) / 3);
  const host = (b: (typeof booked)[number]) => (b.trainer ?? b.owner).email.toLowerCase();
  const overlapping = booked.filter((a) => booked.some((b) => a !== b && host(a) === host(b) && a.startsAt < b.endsAt && b.startsAt < a.endsAt));
  expect(overlapping).toEqual([]);
  const calendar = await db.query<{ booking_id: string }>('SELECT booking_id FROM bookings');
  expect(calendar.rows.map((r) => r.booking_id).sort()).toEqual(booked.map((b) => b.bookingId).sort());

  // Every fact once: what each journey's state says it did is in journey_facts exactly once, by kind and subject.
  const facts = await db.query<{ journey_id: string; kind: string; subject: string; n: number }>(
    `SELECT journey_id, kind, subject, count(*)::int AS n FROM journey_facts GROUP BY journey_id, kind, subject`,
  );
  expect(facts.rows.filter((row) => row.n > 1)).toEqual([]);
  for (const [i, s] of states.entries()) {
    const ofJourney = facts.rows.filter((row) => row.journey_id.startsWith(`${journeyWorkflowId(ids[i]!)}/`));
    const done = ofJourney.filter((row) => row.kind === 'touchpoint.done').map((row) => row.subject.split('~')[0]).sort();
    expect(done).toEqual(doneTouchpoints(s).map((t) => t.key).sort());
    expect(ofJourney.filter((row) => row.kind === 'stage.entered')).toHaveLength(s.stageHistory.length);
  }

  // The work was shared, and none of it left files on any machine.
  const deliveries = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries WHERE delivered_at IS NOT NULL');
  expect(deliveries.rows[0]!.n).toBeGreaterThanOrEqual(states.reduce((n, s) => n + doneTouchpoints(s).length, 0));
  for (const dataDir of dataDirs) expect(listFiles(dataDir)).toEqual([]);
  // Which worker did what is in the histories: the identity (pid@host) of the poller that started each task.
  const identities = new Set<string>();
  for (const id of ids) {
    const history = await client.workflow.getHandle(journeyWorkflowId(id)).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity ?? event.workflowTaskStartedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  expect(identities.size).toBe(WORKERS);
}, 300_000);

function doneTouchpoints(s: JourneyState) {
  return s.touchpoints.filter((t) => t.status === 'done');
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
}
