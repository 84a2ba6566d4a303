import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeys } from '../../src/auth/api-keys';
import { SCOPES } from '../../src/auth/scopes';
import { openDatabase, type Database } from '../../src/db/database';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testWorkflowBundlePath } from '../helpers/workflow-bundle';
import type { JourneyState } from '../../workflows/journey';
import { freshDatabaseUrl } from '../helpers/database';
import { eventually, freePort } from '../helpers/eventually';
import { MAPS_DIR, purchaseBody, TEMPLATES_DIR } from '../helpers/fixtures';
import { API_PROGRAM, WorkerProcess } from '../helpers/worker-process';

/**
 * The faults a journey engine meets, one after the other over one cohort of journeys on a compressed clock,
 * with real processes: the worker SIGKILLed again and again, the Temporal dev server stopped and started on
 * its SQLite file, the SMTP server down for a while, the API SIGKILLed while the product posts events. At the
 * end: no email lost or sent twice, every journey running and answering, every event answered 202 recorded,
 * and the emails left unconfirmed (the worker died past their point of no return) counted.
 *
 * `npm run test:faults` runs it alone with 200 journeys, 20 kills and a minute without SMTP (FAULT_JOURNEYS,
 * FAULT_KILLS, FAULT_SMTP_OUTAGE_MS): the run whose figures RELIABILITY.md keeps. The suite runs a smaller cohort
 * and a 20-second outage (the sends due then still go through three retries).
 */

const JOURNEYS = Number(process.env.FAULT_JOURNEYS ?? 40);
const KILLS = Number(process.env.FAULT_KILLS ?? 5);
const SECONDS_PER_DAY = 2;
const SMTP_OUTAGE_MS = Number(process.env.FAULT_SMTP_OUTAGE_MS ?? 20_000);
/** Purchases arrive about every 300 ms, over a minute at most. */
const PURCHASE_EVERY_MS = Math.min(300, 60_000 / JOURNEYS);
const TASK_QUEUE = `faults-${process.pid}-${Date.now()}`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'journeys-faults-'));
const bundlePath = testWorkflowBundlePath(); // the run's one bundle: a restart takes as long as a production one
const mailDir = path.join(tmp, 'mail');
let devServer: DevServer | undefined;
let catcher: MailCatcher | undefined;
let worker: WorkerProcess | undefined;
let api: WorkerProcess | undefined;
let db: Database;
let databaseUrl = '';
let apiKey = '';
const ports = { temporal: 0, smtp: 0, api: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function engineEnv(): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`,
    DATA_DIR: path.join(tmp, 'data'),
    MAPS_DIR,
    TEMPLATES_DIR,
    WORKFLOW_BUNDLE: bundlePath,
    PUBLIC_URL: `http://127.0.0.1:${ports.api}`,
    API_HOST: '127.0.0.1',
    API_PORT: String(ports.api),
    API_RATE_LIMIT: '1000000',
    ALLOW_DEMO_CLOCK: 'true',
    UNSUBSCRIBE_SECRET: 'faults-unsubscribe-secret',
    WEBHOOK_SECRET: 'faults-webhook-secret',
    LOG_LEVEL: 'info',
  };
}

const startDevServer = async () => {
  devServer = await startTemporalDevServer({ cli: ensureTemporalCli(), dbFile: path.join(tmp, 'temporal.sqlite'), port: ports.temporal, uiPort: 0 });
};
const startSmtp = async () => {
  catcher = await startMailCatcher({ dir: mailDir, port: ports.smtp });
};
const startWorker = async () => {
  worker = await WorkerProcess.start(engineEnv());
};
const startApi = async () => {
  api = await WorkerProcess.start(engineEnv(), API_PROGRAM);
};

beforeAll(async () => {
  ports.temporal = await freePort();
  ports.smtp = await freePort();
  ports.api = await freePort();
  databaseUrl = await freshDatabaseUrl();
  db = await openDatabase(databaseUrl, { max: 2, idleMs: 1_000 });
  await startDevServer();
  await startSmtp();
  await startWorker();
  await startApi(); // it migrates the database, then publishes the shipped maps
  apiKey = (await new ApiKeys(db).create('faults', SCOPES)).key;
}, 180_000);

afterAll(async () => {
  await Promise.all([worker?.stop(), api?.stop()]);
  await devServer?.stop();
  await catcher?.close();
  await db?.end();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

process.once('exit', () => [worker, api].forEach((p) => p?.killNow()));

async function call(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${ports.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

const customerIds = Array.from({ length: JOURNEYS }, (_, i) => `fault-${i}`);
/** Every shipped map: the default one, tech touch and enterprise. */
const SEGMENTS = ['scaling', 'startup', 'enterprise'];
/** Every other customer uses the product; the others never log in, and get the help emails and tasks instead. */
const activeCustomers = customerIds.filter((_, i) => i % 2 === 0);
/** What a touchpoint sends mail for: the email itself, a meeting's invitation, a task's notice to its owner. */
const SENDS_MAIL = new Set(['email', 'call', 'training', 'task']);

/** The product, posting logins and feature use all along; what it was answered 202 for must be in the journey. */
class Product {
  readonly accepted = new Map<string, string[]>();
  refused = 0;
  private posting = true;
  private readonly run: Promise<void>;
  private sent = 0;

  constructor() {
    this.run = this.post();
  }

  private async post(): Promise<void> {
    while (this.posting) {
      const customerId = activeCustomers[Math.floor(Math.random() * activeCustomers.length)]!;
      const eventId = `${customerId}-event-${(this.sent += 1)}`;
      const type = this.sent % 3 === 0 ? 'feature.used' : 'user.login';
      const answer = await call('POST', `/v1/customers/${customerId}/events`, { eventId, type, feature: 'reports' }).catch(() => ({ status: 0 }));
      if (answer.status === 202) this.accepted.set(customerId, [...(this.accepted.get(customerId) ?? []), eventId]);
      else this.refused += 1;
      await sleep(answer.status === 202 ? 100 : 500);
    }
  }

  async stop(): Promise<void> {
    this.posting = false;
    await this.run;
  }
}

type Journey = JourneyState & { status: string; workflowId: string };

async function journeyStates(): Promise<Journey[]> {
  const states: Journey[] = [];
  for (const id of customerIds) {
    const answer = await call('GET', `/v1/customers/${id}/journey`);
    if (answer.status !== 200) throw new Error(`${id}: journey answered ${answer.status}`);
    states.push(answer.body as Journey);
  }
  return states;
}

test(`${JOURNEYS} journeys through ${KILLS} worker kills, a Temporal restart, ${SMTP_OUTAGE_MS / 1000} s without SMTP and an API kill: nothing lost, nothing twice`, async () => {
  const started = Date.now();
  // Billing posts the purchases as they come, all through the worker kills: the map registry's worker is
  // among those killed, and a purchase must not wait for it.
  let slowestPurchaseMs = 0;
  const purchases = (async () => {
    for (const [i, id] of customerIds.entries()) {
      const purchase = { ...purchaseBody(id), segment: SEGMENTS[i % SEGMENTS.length], demoClock: { secondsPerDay: SECONDS_PER_DAY } };
      // As billing does: a 503 is tried again.
      const sentAt = Date.now();
      let answer = await call('POST', '/v1/purchases', purchase).catch(() => ({ status: 0 }));
      slowestPurchaseMs = Math.max(slowestPurchaseMs, Date.now() - sentAt);
      while (answer.status === 503 || answer.status === 0) {
        await sleep(1000);
        answer = await call('POST', '/v1/purchases', purchase).catch(() => ({ status: 0 }));
      }
      if (answer.status !== 200 && answer.status !== 201) {
        await sleep(1000); // the API's log line of it, through its pipe
        throw new Error(`purchase ${id}: ${answer.status} ${JSON.stringify(answer)}\n${api!.recentOutput.slice(-6000)}`);
      }
      await sleep(PURCHASE_EVERY_MS);
    }
  })();
  const product = new Product();
  const phases: string[] = [];
  const phase = (name: string) => phases.push(`${name} at ${Math.round((Date.now() - started) / 1000)} s`);

  // The worker SIGKILLed at random moments, started again at once or after a pause.
  for (let kill = 0; kill < KILLS; kill += 1) {
    await sleep(1500 + Math.random() * 2500);
    worker!.killNow();
    await worker!.exited;
    if (kill % 3 === 2) await sleep(2000);
    await startWorker();
  }
  await purchases;
  phase(`${KILLS} worker kills`);

  // Temporal stopped and started again on its SQLite file: every journey resumes.
  await devServer!.stop();
  await sleep(3000);
  await startDevServer();
  phase('Temporal restarted');

  // SMTP away for a while: the emails due then go out once it is back.
  await catcher!.close();
  await sleep(SMTP_OUTAGE_MS);
  await startSmtp();
  phase(`SMTP back after ${SMTP_OUTAGE_MS / 1000} s`);

  // The API SIGKILLed while the product posts: what it answered 202 for was already in Temporal.
  await sleep(3000);
  api!.killNow();
  await api!.exited;
  await startApi();
  await sleep(3000);
  phase('API restarted');
  await product.stop();

  // Every email due by now has gone: none pending past its time (retries after the outage included).
  const settledBy = Date.now() - 20_000;
  const states = await eventually(
    async () => {
      const all = await journeyStates();
      const overdue = all.flatMap((s) =>
        s.touchpoints.filter((t) => SENDS_MAIL.has(t.action) && t.status === 'pending' && Date.parse(t.sendAt ?? t.dueAt) < settledBy).map((t) => `${s.customerId} ${t.key}`),
      );
      expect(overdue).toEqual([]);
      return all;
    },
    180_000,
    2_000,
  );

  const mail = await catcher!.mailbox.list({});
  const byKey = new Map<string, number>();
  for (const m of mail) if (m.journeyKey) byKey.set(m.journeyKey, (byKey.get(m.journeyKey) ?? 0) + 1);
  const duplicates = [...byKey].filter(([, n]) => n > 1).map(([key]) => key);
  const emails = states.flatMap((s) => s.touchpoints.filter((t) => SENDS_MAIL.has(t.action) && t.status !== 'pending').map((t) => ({ s, t })));
  const arrived = ({ s, t }: (typeof emails)[number]) =>
    [...byKey.keys()].some((key) => key.startsWith(`${s.workflowId}/`) && key.endsWith(`/term-${s.term}/${t.key}`));
  const lost = emails.filter((e) => e.t.status === 'done' && !arrived(e)).map(({ s, t }) => `${s.customerId} ${t.key}`);
  const unconfirmed = emails.filter((e) => e.t.status === 'unconfirmed');
  const missingEvents = [...product.accepted].flatMap(([id, eventIds]) => {
    const seen = new Set(states.find((s) => s.customerId === id)!.seenEventIds);
    return eventIds.filter((eventId) => !seen.has(eventId));
  });

  // How long each delivery was open to a crash: before points of no return, its whole time (intent to
  // result); now, from its point of no return to its result.
  const windows = await db.query<{ whole: number[]; past: number[] }>(
    `SELECT array_agg(extract(epoch FROM delivered_at - started_at) * 1000 ORDER BY 1) AS whole,
            array_agg(extract(epoch FROM delivered_at - committed_at) * 1000 ORDER BY 1) AS past
       FROM deliveries WHERE delivered_at IS NOT NULL`,
  );
  const percentiles = (ms: number[]) => {
    const sorted = ms.map(Number).sort((a, b) => a - b);
    const p = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { p50: p(0.5), p90: p(0.9), p99: p(0.99), max: p(1) };
  };
  // Where the time past the point of no return goes: to the catcher's summary (its end of data, parsed), and from there to the result.
  const delivered = await db.query<{ key: string; committed_at: Date; delivered_at: Date }>('SELECT key, committed_at, delivered_at FROM deliveries WHERE delivered_at IS NOT NULL');
  const caughtAt = new Map(mail.map((m) => [m.journeyKey, Date.parse(m.receivedAt)]));
  const split = delivered.rows.filter((r) => caughtAt.has(r.key)).map((r) => [caughtAt.get(r.key)! - r.committed_at.getTime(), r.delivered_at.getTime() - caughtAt.get(r.key)!]);
  const figures = {
    journeys: JOURNEYS,
    kills: KILLS,
    mailTouchpoints: emails.length,
    byAction: Object.fromEntries([...SENDS_MAIL].map((action) => [action, emails.filter((e) => e.t.action === action).length])),
    failedBecause: Object.entries(
      emails.filter((e) => e.t.status === 'failed').reduce<Record<string, number>>((n, { t }) => {
        const reason = `${t.action}: ${(t.result ?? '').replace(/[0-9T:.Z-]{10,}.*$/, '').slice(0, 60)}`;
        return { ...n, [reason]: (n[reason] ?? 0) + 1 };
      }, {}),
    ),
    byStatus: Object.fromEntries(['done', 'skipped', 'failed', 'unconfirmed'].map((status) => [status, emails.filter((e) => e.t.status === status).length])),
    messages: mail.length,
    lost: lost.length,
    duplicates: duplicates.length,
    unconfirmed: unconfirmed.length,
    unconfirmedThatArrived: unconfirmed.filter(arrived).length,
    unconfirmedPercent: Number(((100 * unconfirmed.length) / Math.max(1, emails.length)).toFixed(2)),
    eventsAccepted: [...product.accepted.values()].reduce((n, ids) => n + ids.length, 0),
    eventsRefused: product.refused,
    missingEvents: missingEvents.length,
    seconds: Math.round((Date.now() - started) / 1000),
    slowestPurchaseMs,
    wholeDeliveryMs: percentiles(windows.rows[0]?.whole ?? []),
    pastPointOfNoReturnMs: percentiles(windows.rows[0]?.past ?? []),
    toCatcherSummaryMs: percentiles(split.map(([a]) => a!)),
    summaryToResultMs: percentiles(split.map(([, b]) => b!)),
  };
  const at = (iso?: string) => `${Math.round((Date.parse(iso ?? '') - started) / 1000)} s`;
  const ledgerRows = await db.query<{ key: string; started_at: Date; committed_at: Date | null }>('SELECT key, started_at, committed_at FROM deliveries WHERE delivered_at IS NULL');
  const unconfirmedWhen = unconfirmed.map(({ s, t }) => {
    const row = ledgerRows.rows.find((r) => r.key.startsWith(`${s.workflowId}/`) && r.key.endsWith(`/${t.key}`));
    const message = mail.find((m) => m.journeyKey?.startsWith(`${s.workflowId}/`) && m.journeyKey.endsWith(`/${t.key}`));
    return `${s.customerId} ${t.key} due ${at(t.sendAt ?? t.dueAt)}, attempt from ${at(row?.started_at.toISOString())}, past its point of no return ${at(row?.committed_at?.toISOString())}, caught ${at(message?.receivedAt)}, given up ${at(t.doneAt)}`;
  });
  console.log(`[faults] ${phases.join(', ')}\n[faults] ${JSON.stringify(figures)}\n[faults] unconfirmed: ${unconfirmedWhen.join('; ') || 'none'}`);

  expect(states.map((s) => s.status)).toEqual(customerIds.map(() => 'RUNNING'));
  expect(lost).toEqual([]);
  expect(duplicates).toEqual([]);
  expect(missingEvents).toEqual([]);
  expect(slowestPurchaseMs).toBeLessThan(10_000);
  expect(emails.length).toBeGreaterThan(JOURNEYS * 3);
  // The target of the full cohort (npm run test:faults); in the suite's small one a single email is most of it.
  if (JOURNEYS >= 200) expect(figures.unconfirmedPercent).toBeLessThanOrEqual(0.5);
}, 900_000);
