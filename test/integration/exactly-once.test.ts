import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { stableId } from '../../src/delivery/ledger';
import { JourneyService, journeyWorkflowId } from '../../src/journeys/service';
import { MapRegistry } from '../../src/maps/registry';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import type { JourneyState, TouchpointRecord } from '../../workflows/journey';
import { freePort, eventually } from '../helpers/eventually';
import { openDatabase, type Database } from '../../src/db/database';
import { freshDatabaseUrl } from '../helpers/database';
import { WorkerProcess } from '../helpers/worker-process';
import { testDataConverter } from '../helpers/payloads';
import { catalog, customerFixture, MAPS_DIR, TEMPLATES_DIR } from '../helpers/fixtures';

/**
 * The README's promise, with real processes: the worker is SIGKILLed right as the SMTP server takes the
 * welcome email (just after answering 250, or just before), then started again on the same data folder.
 * Temporal retries the activity once its heartbeat times out (15 s); the delivery ledger must make that
 * retry return the first delivery's result or give up as 'unconfirmed'. Either way the contact gets the
 * welcome exactly once, and when it is unconfirmed the owner gets a task to check it arrived.
 */

const TASK_QUEUE = `exactly-once-${process.pid}-${Date.now()}`;
const SECRETS = { UNSUBSCRIBE_SECRET: 'exactly-once-unsubscribe-secret', WEBHOOK_SECRET: 'exactly-once-webhook-secret' };
const owner = catalog.team.successManager!;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'journeys-exactly-once-'));
const dataDir = path.join(tmp, 'data');

let devServer: DevServer | undefined;
let connection: Connection | undefined;
let journeys: JourneyService;
let client: Client;
let smtp: KillingSmtpServer | undefined;
let worker: WorkerProcess | undefined;
let databaseUrl: string;
let db: Database;

beforeAll(async () => {
  devServer = await startTemporalDevServer({
    cli: ensureTemporalCli(),
    dbFile: path.join(tmp, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: 0,
  });
  smtp = await KillingSmtpServer.start();
  databaseUrl = await freshDatabaseUrl();
  db = await openDatabase(databaseUrl, { max: 2, idleMs: 1_000 });
  worker = await WorkerProcess.start(workerEnv());
  connection = await Connection.connect({ address: devServer.address });
  client = new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
  const maps = new MapRegistry(client, TASK_QUEUE);
  await maps.publishFirstVersions(catalog.all()); // answered by the worker process
  journeys = new JourneyService(client, maps, catalog.team, TASK_QUEUE);
}, 120_000);

afterAll(async () => {
  const steps: (() => Promise<unknown> | undefined)[] = [
    () => worker?.stop(),
    () => connection?.close(),
    () => devServer?.stop(),
    () => smtp?.close(),
    () => db?.end(),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      console.error('cleanup failed', err);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

// If jest itself goes away, the worker (its own process group) goes with it.
process.once('exit', () => worker?.killNow());

test.each([
  ['just after answering 250', 'after-250'],
  ['after the whole message arrived, before answering 250', 'before-250'],
] as const)('the worker SIGKILLed %s, then restarted: exactly one welcome email', async (_title, when) => {
  const customerId = `once-${when}-${Date.now().toString(36)}`;
  const contact = { name: 'Ana Lopez', email: `ana@${customerId}.example` };
  if (!worker?.running) worker = await WorkerProcess.start(workerEnv());
  const killed = smtp!.killWorkerOnMailTo(contact.email, when, worker);

  await journeys.startJourney(customerFixture(Date.now(), { customerId, contact }));
  const workflowId = journeyWorkflowId(customerId);
  const { runId } = await client.workflow.getHandle(workflowId).describe();
  const welcomeKey = `${workflowId}/${runId}/term-1/welcome-email#1`;

  // The worker dies on the welcome email; a new one starts on the same data folder and task queue.
  const exit = await withTimeout(killed, 60_000, 'the welcome email never reached the SMTP server');
  expect(exit.signal).toBe('SIGKILL');
  worker = await WorkerProcess.start(workerEnv());

  // Temporal notices the dead worker after the 15 s heartbeat timeout and retries the send on the new one.
  const state = await eventually(
    async () => {
      const s = await journeys.journeyState(customerId);
      const welcome = touchpoint(s, 'welcome-email');
      expect(welcome.status).not.toBe('pending');
      if (welcome.status === 'unconfirmed') expect(s.touchpoints.find((t) => t.touchpointId === 'welcome-email-failed')?.status).toBe('done');
      return s;
    },
    90_000,
    500,
  );
  const welcome = touchpoint(state, 'welcome-email');

  // Exactly one message for the welcome, and nothing else to the contact.
  const mail = await smtp!.parsedMail();
  const toContact = mail.filter((m) => m.to.includes(contact.email));
  expect(toContact).toHaveLength(1);
  expect(toContact[0]).toMatchObject({ journeyKey: welcomeKey, messageId: `<${stableId(welcomeKey)}@journeys.local>` });
  expect(mail.filter((m) => m.journeyKey === welcomeKey)).toHaveLength(1);
  expect(mail.filter((m) => m.messageId === toContact[0]!.messageId)).toHaveLength(1);

  // The ledger says what the worker knew when it died, and the journey says the same.
  const { rows } = await db.query('SELECT key, started_at, delivered_at FROM deliveries WHERE key = $1', [welcomeKey]);
  expect(rows).toEqual([{ key: welcomeKey, started_at: expect.any(Date), delivered_at: rows[0]?.delivered_at ?? null }]);
  const record = rows[0] as { delivered_at: Date | null };
  if (when === 'before-250') expect(welcome.status).toBe('unconfirmed'); // the worker never heard the 250
  expect(['done', 'unconfirmed']).toContain(welcome.status);

  const failedTask = state.touchpoints.filter((t) => t.touchpointId === 'welcome-email-failed');
  const taskMail = mail.filter((m) => m.journeyKey === `${workflowId}/${runId}/term-1/welcome-email-failed#1`);
  if (welcome.status === 'done') {
    // The worker wrote the result between the 250 and the kill: the retry returned it without sending.
    expect(record.delivered_at).toEqual(expect.any(Date));
    expect(welcome.result).toBe(`email sent to ${contact.email}`);
    expect(failedTask).toEqual([]);
    expect(taskMail).toEqual([]);
  } else {
    // Only the intent was on record: the retry sent nothing and the owner was asked to check.
    expect(record.delivered_at).toBeNull();
    expect(welcome.result).toMatch(/^the worker stopped during this delivery .* so it is not repeated$/);
    expect(failedTask).toEqual([
      expect.objectContaining({
        action: 'task',
        status: 'done',
        ownerRole: 'successManager',
        owner: expect.objectContaining({ email: owner.email }),
        name: expect.stringMatching(/^Check that it arrived: Welcome email for /),
      }),
    ]);
    expect(state.tasks).toEqual([expect.objectContaining({ touchpointKey: 'welcome-email-failed#1', status: 'open', owner: expect.objectContaining({ email: owner.email }) })]);
    expect(taskMail).toHaveLength(1);
    expect(taskMail[0]!.to).toEqual([owner.email]);
  }
  console.log(`[exactly-once] killed ${when}: welcome ${welcome.status}, ${toContact.length} message to the contact`);

  // The journey goes on: still running, answering queries, the kickoff call ahead.
  expect(state.status).toBe('RUNNING');
  expect(state.stage).toBe('onboarding');
  expect(touchpoint(state, 'kickoff-call').status).toBe('pending');
}, 150_000);

function touchpoint(state: JourneyState, id: string): TouchpointRecord {
  const found = state.touchpoints.find((t) => t.touchpointId === id);
  if (!found) throw new Error(`no touchpoint ${id} in ${state.touchpoints.map((t) => t.touchpointId).join(', ')}`);
  return found;
}

function workerEnv(): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: devServer!.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    SMTP_URL: `smtp://127.0.0.1:${smtp!.port}`,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    MAPS_DIR,
    TEMPLATES_DIR,
    ...SECRETS,
    // info, not warn: the worker's "worker polling task queue" line tells the test it is up.
    LOG_LEVEL: 'info',
  };
}

interface ParsedMail {
  to: string[];
  messageId?: string;
  journeyKey?: string;
  subject?: string;
}

/**
 * A real SMTP server on loopback that keeps every message, and can be armed to SIGKILL the worker on the
 * first message to an address: right after answering 250 (accepted), or before answering at all.
 */
class KillingSmtpServer {
  private readonly received: { to: string[]; raw: Buffer }[] = [];
  private trap?: { address: string; when: 'after-250' | 'before-250'; worker: WorkerProcess; fired: () => void };

  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1_000,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => this.onMessage(session.envelope.rcptTo.map((r) => r.address.toLowerCase()), Buffer.concat(chunks), callback));
    },
  });
  port = 0;

  static async start(): Promise<KillingSmtpServer> {
    const smtp = new KillingSmtpServer();
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.server.listen(0, '127.0.0.1', () => resolve());
    });
    // A connection cut by the SIGKILL is expected here.
    smtp.server.on('error', () => undefined);
    const address = smtp.server.server.address();
    smtp.port = typeof address === 'object' && address ? address.port : 0;
    return smtp;
  }

  /** Resolves with the worker's exit once it has been killed on the first message to `address`. */
  killWorkerOnMailTo(address: string, when: 'after-250' | 'before-250', worker: WorkerProcess) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      this.trap = { address: address.toLowerCase(), when, worker, fired: () => resolve(worker.exited) };
    });
  }

  private onMessage(to: string[], raw: Buffer, answer: (err?: Error | null) => void): void {
    this.received.push({ to, raw });
    const trap = this.trap;
    if (!trap || !to.includes(trap.address)) {
      answer();
      return;
    }
    this.trap = undefined;
    if (trap.when === 'after-250') {
      answer(); // writes "250 OK" to the socket now
      trap.worker.killNow();
    } else {
      trap.worker.killNow();
      // Nobody is left to hear the answer.
      void trap.worker.exited.then(() => answer(Object.assign(new Error('too late'), { responseCode: 451 })));
    }
    trap.fired();
  }

  async parsedMail(): Promise<ParsedMail[]> {
    return Promise.all(
      this.received.map(async ({ to, raw }) => {
        const parsed = await simpleParser(raw);
        const key = parsed.headers.get('x-journey-key');
        return { to, messageId: parsed.messageId, journeyKey: typeof key === 'string' ? key : undefined, subject: parsed.subject };
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
