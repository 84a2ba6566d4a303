import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../../src/config';
import { execFileSync } from 'node:child_process';
import { SCOPES } from '../../src/auth/scopes';
import { ensureDatabase } from '../../src/db/database';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { ensureTemporalCli } from '../../src/temporal/binaries';
import { connectClient } from '../../src/temporal/client';
import { startTemporalDevServer, type DevServer } from '../../src/temporal/dev-server';
import { parsePayloadKeys } from '../../src/temporal/payload-codec';
import { ENGINE_API_ENTRY, ENGINE_CLI_ENTRY, ENGINE_WORKER_ENTRY, RAW_BUNDLE_PATH, RAW_WORKER_ENTRY } from './build';
import { adopt, BenchProcess, onShutdown } from './processes';
import { SmtpSink } from './smtp-sink';

/** BENCH_WORKER_NODE_ARGS: node options for both workers alike, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` to profile them. */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export const ENGINE_TASK_QUEUE = 'customer-journeys';
export const RAW_TASK_QUEUE = 'bench-raw';
export const WORKER_READY = 'worker polling task queue';
const API_READY = 'API listening on';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The SDK sizes a worker's workflow cache from the V8 heap limit (maxCachedWorkflows ≈ (heap MiB − 200) × 600 / 1024),
 * and the engine has no setting for it: both workers get the same heap limit, so the same cache, large enough
 * to keep every journey the RSS figure counts.
 */
export function heapForCache(cachedWorkflows: number): number {
  return Math.ceil((cachedWorkflows * 1024) / 600 + 200);
}

/**
 * Everything both sides share, in a temp folder: one Temporal dev server (SQLite file, as the local stack), the
 * SMTP sink, and the engine's PostgreSQL; then the engine's worker and API and the raw worker, compiled, each a
 * process of its own so its CPU and memory are its own.
 */
export class BenchStack {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'journeys-bench-'));
  readonly sink = new SmtpSink();
  devServer?: DevServer;
  engineWorker?: BenchProcess;
  api?: BenchProcess;
  rawWorker?: BenchProcess;
  client?: Client;
  apiUrl = '';
  apiKey = '';
  private engineEnv: NodeJS.ProcessEnv = {};
  private rawEnv: NodeJS.ProcessEnv = {};
  /** A key of this run only; BENCH_PAYLOAD_KEYS sets it, to decode histories kept with BENCH_HISTORY_DIR afterwards. */
  readonly payloadKeys = process.env.BENCH_PAYLOAD_KEYS ?? `bench-1:${randomBytes(32).toString('base64')}`;
  /** Both workers' V8 heap limit, so both caches hold `cachedWorkflows` journeys. */
  readonly workerHeapMiB: number;

  constructor(private readonly options: { cachedWorkflows: number; say: (line: string) => void }) {
    // PostgreSQL runs as the system user postgres when the benchmark runs as root: it must reach the folder.
    chmodSync(this.dir, 0o755);
    this.workerHeapMiB = heapForCache(options.cachedWorkflows);
    onShutdown(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  async start(): Promise<void> {
    const { say } = this.options;
    const [temporalPort, postgresPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    say(`data in ${this.dir}`);
    const postgresStarting = startEmbeddedPostgres({ dir: path.join(this.dir, 'postgres'), port: postgresPort, password: randomBytes(16).toString('hex') });
    this.devServer = await startTemporalDevServer({ cli: ensureTemporalCli(), dbFile: path.join(this.dir, 'temporal.sqlite'), port: temporalPort, uiPort: 0 });
    adopt(this.devServer.process);
    onShutdown(() => this.devServer?.stop());
    const postgres = await postgresStarting;
    onShutdown(() => postgres.stop());
    const databaseUrl = await ensureDatabase(postgres.adminUrl, 'journeys');
    await this.sink.start();
    onShutdown(() => this.sink.close());
    say(`Temporal ${this.devServer.address}, PostgreSQL 127.0.0.1:${postgresPort}, SMTP sink ${this.sink.url}`);

    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: this.devServer.address,
      PAYLOAD_KEYS: this.payloadKeys,
      SMTP_URL: this.sink.url,
      PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--max-old-space-size=${this.workerHeapMiB}`,
    };
    this.engineEnv = {
      ...shared,
      DATABASE_URL: databaseUrl,
      UNSUBSCRIBE_SECRET: randomBytes(32).toString('hex'),
      WEBHOOK_SECRET: randomBytes(32).toString('hex'),
      MAPS_DIR: this.mapsDir(),
      ALLOW_DEMO_CLOCK: 'true',
      API_PORT: String(apiPort),
      // One client (the benchmark) sends every request: the per-address limit would throttle it, not a customer.
      API_RATE_LIMIT: '1000000',
      TEMPORAL_TASK_QUEUE: ENGINE_TASK_QUEUE,
    };
    // With the compiled CLI, so the database is migrated by the same build the worker and the API run.
    this.apiKey = execFileSync(process.execPath, [ENGINE_CLI_ENTRY, 'keys', 'create', '--name', 'benchmark', '--scopes', SCOPES.join(',')], {
      env: this.engineEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    this.rawEnv = { ...shared, TEMPORAL_TASK_QUEUE: RAW_TASK_QUEUE, RAW_WORKFLOW_BUNDLE: RAW_BUNDLE_PATH };

    this.engineWorker = this.spawnEngineWorker();
    this.rawWorker = this.spawnRawWorker();
    await Promise.all([this.engineWorker.ready(WORKER_READY), this.rawWorker.ready(WORKER_READY)]);
    // The API's heap stays Node's default: only workers cache journeys.
    this.api = BenchProcess.spawn('engine API', process.execPath, [ENGINE_API_ENTRY], { ...this.engineEnv, NODE_OPTIONS: '' });
    await this.api.ready(API_READY);
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.client = await connectClient({ temporalAddress: this.devServer.address, TEMPORAL_NAMESPACE: 'default', PAYLOAD_KEYS: parsePayloadKeys(this.payloadKeys) });
    await this.waitForBenchMap();
  }

  /** The shipped maps (the catalog needs default, team and trainers) and the bench map, in a folder of the run's own. */
  private mapsDir(): string {
    const dir = path.join(this.dir, 'maps');
    mkdirSync(dir);
    for (const folder of [path.join(PROJECT_ROOT, 'maps'), path.join(PROJECT_ROOT, 'bench', 'maps')]) {
      for (const name of readdirSync(folder).filter((file) => file.endsWith('.yaml'))) copyFileSync(path.join(folder, name), path.join(dir, name));
    }
    return dir;
  }

  /** A worker like the engine's, on another task queue when a probe (worker start) must not take real work. */
  spawnEngineWorker(taskQueue = ENGINE_TASK_QUEUE): BenchProcess {
    return BenchProcess.spawn('engine worker', process.execPath, [...WORKER_NODE_ARGS, ENGINE_WORKER_ENTRY], { ...this.engineEnv, TEMPORAL_TASK_QUEUE: taskQueue });
  }

  spawnRawWorker(taskQueue = RAW_TASK_QUEUE): BenchProcess {
    return BenchProcess.spawn('raw worker', process.execPath, [...WORKER_NODE_ARGS, RAW_WORKER_ENTRY], { ...this.rawEnv, TEMPORAL_TASK_QUEUE: taskQueue });
  }

  /** The API publishes the shipped maps once a worker serves the registry: purchases need the bench map published. */
  private async waitForBenchMap(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answer = await fetch(`${this.apiUrl}/v1/maps/bench-first-weeks`, { headers: { authorization: `Bearer ${this.apiKey}` } }).catch(() => undefined);
      if (answer?.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the bench map was not published within 60 s:\n${this.api?.recentOutput ?? ''}`);
  }

  /** PostgreSQL's postmaster (first line of postmaster.pid in its data folder). */
  postgresPid(): number {
    return Number(readFileSync(path.join(this.dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  get serverPid(): number {
    return this.devServer!.process.pid!;
  }
}
