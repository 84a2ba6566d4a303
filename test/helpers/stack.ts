import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import type { HardeningOptions } from '../../src/api/hardening';
import { serve } from '../../src/api/serve';
import { databaseReachable, openDatabase, type Database } from '../../src/db/database';
import { PgSuppressionList } from '../../src/delivery/suppressions';
import { PgJourneyFacts } from '../../src/facts/journey-facts';
import { PgMapReviewTasks } from '../../src/facts/map-review-tasks';
import { JourneyAnalytics } from '../../src/analytics/journey-analytics';
import { ApiKeys } from '../../src/auth/api-keys';
import { SCOPES } from '../../src/auth/scopes';
import { JourneyService } from '../../src/journeys/service';
import { BulkOperations } from '../../src/journeys/bulk-operations';
import { BulkSteps } from '../../src/journeys/bulk-steps';
import { JourneyTimelines } from '../../src/journeys/timeline';
import { MapRegistry } from '../../src/maps/registry';
import { createLogger } from '../../src/logger';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { connectClient, lazyClient, temporalReachable } from '../../src/temporal/client';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createJourneyWorker } from '../../src/worker/create-worker';
import { freshDatabase } from './database';
import { freePort } from './eventually';
import { catalog, templates, testActivityDeps } from './fixtures';
import { testWorkflowBundlePath } from './workflow-bundle';
import { testPayloadCodec, testPayloadKeys } from './payloads';

const TASK_QUEUE = 'customer-journeys';
export const UNSUBSCRIBE_SECRET = 'test-unsubscribe-secret';
export const TEMPORAL_UI_URL = 'http://temporal-ui.test:8080';

/** An HTTP answer as the tests read it: the status, the body (JSON parsed, or text: each test reads its route's own), the headers. */
export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * The real engine on loopback: the Temporal dev server on a SQLite file, the engine database (a database of
 * its own in the run's PostgreSQL), a real SMTP mail catcher, the worker and the HTTP API. Each part can be
 * stopped and started again on the same data.
 */
export class LocalStack {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'journeys-stack-'));
  devServer?: DevServer;
  catcher?: MailCatcher;
  private workerConnection?: NativeConnection;
  private worker?: Worker;
  private workerRun?: Promise<void>;
  /** The worker's own Temporal client, which bulk operations' activities steer journeys with. */
  private workerClient?: Client;
  private client?: Client;
  private server?: Server;
  /** The API as created, to look at its routes. */
  app?: ReturnType<typeof createApp>;
  apiUrl = '';
  /** An API key with every scope, which `get` and `post` send: `{ authorization: 'Bearer <key>' }` for other requests. */
  headers: Record<string, string> = {};
  private temporalPort = 0;
  private apiPort = 0;
  private db?: Promise<Database>;

  /**
   * `allowDemoClock`: purchases may carry a compressed demo clock (off by default, as on a real engine).
   * `databaseUrl`: an engine database of the test's own (one it stops and starts); a fresh one in the run's PostgreSQL if unset.
   * `inboundWebhookSecrets`: what signed inbound webhooks are checked with (none: those routes answer 503).
   * `temporalUi`: the dev server runs its Temporal UI too (on a free port), and the console and timelines link to it.
   */
  constructor(private readonly options: { allowDemoClock?: boolean; databaseUrl?: string; http?: Partial<HardeningOptions>; headersTimeoutMs?: number; inboundWebhookSecrets?: string[]; temporalUi?: boolean } = {}) {}

  /** Every part, in the order they need each other: Temporal, the mail catcher, the worker, the API. */
  async startAll(mail: Parameters<LocalStack['startMail']>[0] = {}): Promise<void> {
    await this.startTemporal();
    await this.startMail(mail);
    await this.startWorker();
    await this.startApi();
  }

  async startTemporal(): Promise<void> {
    this.temporalPort ||= await freePort();
    this.devServer = await startTemporalDevServer({
      cli: ensureTemporalCli(),
      dbFile: path.join(this.dataDir, 'temporal.sqlite'),
      port: this.temporalPort,
      uiPort: this.options.temporalUi ? await freePort() : 0,
    });
  }

  /** Where the console and the timelines link to: the dev server's own UI when it runs one. */
  get temporalUiUrl(): string {
    return this.devServer?.uiUrl ?? TEMPORAL_UI_URL;
  }

  async startMail(options: { rejectRecipients?: (address: string) => boolean } = {}): Promise<void> {
    this.catcher = await startMailCatcher({ dir: path.join(this.dataDir, 'mail'), ...options });
  }

  /** The stack's engine database, made on first use and kept across restarts of the worker and the API. */
  database(): Promise<Database> {
    this.db ??= this.options.databaseUrl ? openDatabase(this.options.databaseUrl, { idleMs: 1_000 }) : freshDatabase();
    return this.db;
  }

  async startWorker(): Promise<void> {
    // The API's port is chosen now, so the unsubscribe links in the worker's emails point at it.
    this.apiPort ||= await freePort();
    this.workerConnection = await NativeConnection.connect({ address: this.devServer!.address });
    this.workerClient = lazyClient({ temporalAddress: this.devServer!.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_KEYS: testPayloadKeys });
    const workerJourneys = new JourneyService(this.workerClient, new MapRegistry(this.workerClient, TASK_QUEUE), catalog.team, TASK_QUEUE);
    this.worker = await createJourneyWorker({
      connection: this.workerConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      deps: testActivityDeps(await this.database(), {
        smtpUrl: `smtp://127.0.0.1:${this.catcher!.port}`,
        unsubscribeSecret: UNSUBSCRIBE_SECRET,
        publicUrl: `http://127.0.0.1:${this.apiPort}`,
      }),
      payloadKeys: testPayloadKeys,
      workflowBundlePath: testWorkflowBundlePath(),
      bulkSteps: new BulkSteps(this.workerClient, workerJourneys, catalog.team),
    });
    this.workerRun = this.worker.run();
  }

  async startApi(): Promise<void> {
    // The API's own client, with its retry policy, so the tests meet what the API meets.
    const client = await connectClient({ temporalAddress: this.devServer!.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_KEYS: testPayloadKeys });
    this.client = client;
    const db = await this.database();
    const keys = new ApiKeys(db);
    if (!this.headers.authorization) this.headers = { authorization: `Bearer ${(await keys.create('tests', SCOPES)).key}` };
    const maps = new MapRegistry(client, TASK_QUEUE);
    await maps.publishFirstVersions(catalog.all());
    const journeys = new JourneyService(client, maps, catalog.team, TASK_QUEUE, this.options.allowDemoClock ?? false);
    const app = createApp({
      journeys,
      maps,
      templates,
      team: catalog.team,
      mailbox: this.catcher!.mailbox,
      suppressions: new PgSuppressionList(db),
      unsubscribeSecret: UNSUBSCRIBE_SECRET,
      inboundWebhookSecrets: this.options.inboundWebhookSecrets,
      tasks: new PgJourneyFacts(db),
      companies: new PgJourneyFacts(db),
      mapReviewTasks: new PgMapReviewTasks(db),
      analytics: new JourneyAnalytics(db),
      bulkOperations: new BulkOperations(client, maps, catalog.team, TASK_QUEUE),
      timelines: new JourneyTimelines(client, journeys, maps, new PgJourneyFacts(db), { url: this.temporalUiUrl, namespace: 'default' }),
      journeyStages: new PgJourneyFacts(db),
      keys,
      // As configured by default, but the tests' own requests, all from one address, are never limited.
      http: { allowedHosts: ['127.0.0.1', 'localhost'], requestsPerMinute: 1_000_000, ...this.options.http },
      readiness: async () => ({ temporal: await temporalReachable(client), database: await databaseReachable(db) }),
      console: { temporalUiUrl: this.temporalUiUrl, namespace: 'default' },
      payloadCodec: testPayloadCodec,
      log: createLogger('api-test', 'silent'),
    });
    this.app = app;
    this.apiPort ||= await freePort();
    this.server = await serve(app, this.apiPort, '127.0.0.1', { headersTimeoutMs: this.options.headersTimeoutMs });
    this.apiUrl = `http://127.0.0.1:${this.apiPort}`;
  }

  async stopWorkerAndApi(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server?.closeAllConnections();
    await this.client?.connection.close();
    await this.stopWorker();
  }

  /** The worker alone (the API keeps answering): what it was running carries on when startWorker starts another. */
  async stopWorker(): Promise<void> {
    this.worker?.shutdown();
    await this.workerRun;
    await this.workerConnection?.close();
    await this.workerClient?.connection.close();
  }

  async stopAll(): Promise<void> {
    await this.stopWorkerAndApi();
    await this.catcher?.close();
    await this.devServer?.stop();
    await (await this.db)?.end();
  }

  async post(route: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.apiUrl}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  async get(route: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.apiUrl}${route}`, { headers: this.headers });
    return { status: response.status, body: await response.json() };
  }
}

/** Starts the whole stack before the file's tests and stops it after them. */
export function startedForTheseTests(stack: LocalStack, mail: Parameters<LocalStack['startMail']>[0] = {}): void {
  beforeAll(() => stack.startAll(mail), 120_000);
  afterAll(() => stack.stopAll(), 60_000);
}
