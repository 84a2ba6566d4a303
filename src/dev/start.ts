import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig, runMain } from '../config';
import { ApiKeys } from '../auth/api-keys';
import { SCOPES } from '../auth/scopes';
import { ensureDatabase, openDatabase } from '../db/database';
import type { EmbeddedDatabase } from '../db/embedded';
import { startMailCatcher, type MailCatcher } from '../mail/catcher';
import { ensureTemporalCli } from '../temporal/binaries';
import { localSecrets } from './local-secrets';
import { startTemporalDevServer, type DevServer } from '../temporal/dev-server';

/** Where `npm start`'s worker serves its metrics unless WORKER_METRICS_PORT is set (the port Prometheus exporters commonly take). */
const LOCAL_WORKER_METRICS_PORT = 9464;

/**
 * `npm start`: the whole engine on this machine. A Temporal dev server on SQLite in the data folder
 * (unless TEMPORAL_ADDRESS names another), the engine's PostgreSQL in the data folder (unless DATABASE_URL
 * names one), a mail catcher (unless SMTP_URL names a relay), the worker and the API as child processes.
 * Ctrl-C stops them all; the next start resumes every journey.
 */
runMain(async () => {
  const config = loadConfig();
  const { POSTGRES_PASSWORD, DEV_API_KEY, INBOUND_WEBHOOK_SECRETS, ...secrets } = localSecrets(config.DATA_DIR);
  // The local stack is for trying journeys out: demo clocks are on unless switched off explicitly.
  const env: NodeJS.ProcessEnv = { ALLOW_DEMO_CLOCK: 'true', ...secrets, ...process.env };
  let devServer: DevServer | undefined;
  let postgres: EmbeddedDatabase | undefined;
  let catcher: MailCatcher | undefined;
  const children: ChildProcess[] = [];
  let stopping = false;

  async function stopAll(code: number) {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the journey engine...');
    await Promise.all(children.map((child) => stopChild(child)));
    await catcher?.close();
    await postgres?.stop();
    await devServer?.stop();
    console.log('Stopped. Journeys resume where they were at the next `npm start`.');
    process.exit(code);
  }
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  if (!config.DATABASE_URL) {
    // Loaded only here: the production image runs against DATABASE_URL and needs no PostgreSQL binaries.
    const { startEmbeddedPostgres } = await import('../db/embedded');
    const dir = path.join(config.DATA_DIR, 'postgres');
    postgres = await startEmbeddedPostgres({ dir, port: config.POSTGRES_PORT, password: POSTGRES_PASSWORD }).catch((err: Error) => {
      throw new ConfigError(`The engine database could not start (set POSTGRES_PORT or DATA_DIR, or DATABASE_URL for a PostgreSQL of your own): ${err.message}`);
    });
    env.DATABASE_URL = await ensureDatabase(postgres.adminUrl, 'journeys');
    console.log(`[postgres] PostgreSQL listening on 127.0.0.1:${config.POSTGRES_PORT}, data in ${dir}`);
  }
  await ensureDevelopmentKey(env.DATABASE_URL!, DEV_API_KEY);
  if (!config.TEMPORAL_ADDRESS) {
    const cli = ensureTemporalCli(process.env);
    devServer = await startTemporalDevServer({
      cli,
      dbFile: path.join(config.DATA_DIR, 'temporal.sqlite'),
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      // The UI shows journeys' payloads decrypted by the API's codec endpoint; it cannot send a header, so the key is in the path.
      uiCodecEndpoint: `http://localhost:${config.API_PORT}/v1/codec/${DEV_API_KEY}`,
      namespace: config.TEMPORAL_NAMESPACE,
      output: (line) => console.log(`[temporal] ${line}`),
    });
    env.TEMPORAL_ADDRESS = devServer.address;
  }
  if (!config.SMTP_URL) {
    const dir = path.join(config.DATA_DIR, 'mail');
    catcher = await startMailCatcher({
      dir,
      port: config.MAIL_CATCHER_PORT,
      onMail: (mail) => console.log(`[mail] to ${mail.to.join(', ')}: ${mail.subject}`),
    });
    env.SMTP_URL = `smtp://127.0.0.1:${catcher.port}`;
    env.MAIL_CATCHER_DIR = dir;
  }

  // The worker's metrics are on here (off by default elsewhere): at a fixed port unless WORKER_METRICS_PORT names one.
  const workerMetricsPort = config.WORKER_METRICS_PORT ?? LOCAL_WORKER_METRICS_PORT;
  for (const name of ['worker', 'api']) {
    const child = spawn(process.execPath, [path.join(__dirname, '..', name, 'main.js')], {
      // Only the API checks inbound webhooks; one set in the environment wins, as every variable does.
      env: name === 'api' ? { INBOUND_WEBHOOK_SECRETS, ...env } : { ...env, WORKER_METRICS_PORT: String(workerMetricsPort) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => {
      if (stopping) return;
      console.error(`The ${name} exited (code ${code}); stopping everything.`);
      void stopAll(1);
    });
    children.push(child);
  }
  const apiUrl = `http://localhost:${config.API_PORT}`;
  await waitForHttp(`${apiUrl}/healthz`, 60_000);

  console.log(`
The customer journey engine is running.
  API and console   ${apiUrl}            (GET /healthz, POST /v1/purchases, ...)
  Temporal UI       ${devServer?.uiUrl ? `${devServer.uiUrl}   (payloads decrypted by ${apiUrl}/v1/codec)` : `(your Temporal server; codec endpoint ${apiUrl}/v1/codec)`}
  Temporal gRPC     ${env.TEMPORAL_ADDRESS}
  Worker metrics    ${workerMetricsPort === 0 ? '(a free port: the worker logs "worker metrics at ...")' : `http://${['0.0.0.0', '::'].includes(config.WORKER_METRICS_HOST) ? 'localhost' : config.WORKER_METRICS_HOST}:${workerMetricsPort}/metrics`}   (the API's at ${apiUrl}/metrics, with the key)
  PostgreSQL        ${postgres ? `127.0.0.1:${config.POSTGRES_PORT}, database journeys (data in ${path.join(config.DATA_DIR, 'postgres')})` : '(DATABASE_URL)'}
  Mail catcher      ${catcher ? `smtp://127.0.0.1:${catcher.port}, messages in ${env.MAIL_CATCHER_DIR} and at ${apiUrl}/v1/mail` : env.SMTP_URL}
  API key           ${DEV_API_KEY}
                    (every scope, for this machine only: the console asks for it; send "Authorization: Bearer <key>")
  Inbound webhooks  ${apiUrl}/v1/inbound/{events,segment,stripe}, signed with ${process.env.INBOUND_WEBHOOK_SECRETS ? 'INBOUND_WEBHOOK_SECRETS' : `INBOUND_WEBHOOK_SECRETS in ${path.join(config.DATA_DIR, 'local-secrets.json')}`}
Press Ctrl-C to stop.`);
});

/**
 * The local stack's development key, with every scope, in its engine database (made once, kept in the data folder);
 * a key made before a scope existed gains it.
 */
async function ensureDevelopmentKey(databaseUrl: string, key: string): Promise<void> {
  const db = await openDatabase(databaseUrl, { max: 1 });
  try {
    const keys = new ApiKeys(db);
    const { apiKey } = await keys.create('development (npm start)', SCOPES, key);
    const missing = SCOPES.filter((scope) => !apiKey.scopes.includes(scope));
    if (missing.length > 0) await keys.grant(apiKey.id, missing);
  } finally {
    await db.end();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
