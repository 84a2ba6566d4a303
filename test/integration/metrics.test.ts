import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { apiMetrics } from '../../src/api/metrics';
import { freshDatabaseUrl } from '../helpers/database';
import { eventually, freePort } from '../helpers/eventually';
import { MAPS_DIR, purchaseBody, TEMPLATES_DIR } from '../helpers/fixtures';
import { LocalStack, UNSUBSCRIBE_SECRET } from '../helpers/stack';
import { WorkerProcess } from '../helpers/worker-process';

/**
 * GET /metrics: the API's (the process's metrics, every answer counted by method, route pattern (never the raw
 * path) and status, the journeys by stage) and the worker's, on its own port. The stack's worker is the real
 * worker process, as in production (its metrics and Temporal Core's are the process's own).
 */
let stack: LocalStack;
let worker: WorkerProcess | undefined;
let workerUrl = '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'journeys-metrics-'));

beforeAll(async () => {
  const databaseUrl = await freshDatabaseUrl();
  stack = new LocalStack({ databaseUrl });
  await stack.startTemporal();
  await stack.startMail();
  const metricsPort = await freePort();
  worker = await WorkerProcess.start({
    TEMPORAL_ADDRESS: stack.devServer!.address,
    SMTP_URL: `smtp://127.0.0.1:${stack.catcher!.port}`,
    DATABASE_URL: databaseUrl,
    DATA_DIR: tmp,
    MAPS_DIR,
    TEMPLATES_DIR,
    UNSUBSCRIBE_SECRET,
    WEBHOOK_SECRET: 'metrics-webhook-secret',
    WORKER_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  });
  workerUrl = `http://127.0.0.1:${metricsPort}`;
  await stack.startApi(); // publishes the shipped maps: answered by the worker process
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stack?.stopAll();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

// If jest itself goes away, the worker (its own process group) goes with it.
process.once('exit', () => worker?.killNow());

/** The value of one sample line of the metrics text (`name{labels} value`); undefined when there is no such line. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const prefix = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

async function scrape(url: string, headers: Record<string, string> = stack.headers): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${url}/metrics`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

test('counts each answer by route pattern and status, with no customer id or key from the path, and the process metrics', async () => {
  expect((await stack.post('/v1/purchases', purchaseBody('metrics-acme'))).status).toBe(201);
  expect((await stack.post('/v1/purchases', purchaseBody('metrics-acme'))).status).toBe(200); // the journey it already has
  expect((await stack.post('/v1/purchases', { customerId: 'metrics-acme' })).status).toBe(400);
  expect((await stack.get('/v1/customers/metrics-acme/journey')).status).toBe(200);
  expect((await stack.get('/v1/customers/nobody/journey')).status).toBe(404);
  expect((await stack.get('/v1/customers/nobody/journey')).status).toBe(404);
  expect((await stack.get('/no/such/path')).status).toBe(404);
  // The codec route takes an API key in its path: its label is the pattern, not the key.
  const key = stack.headers.authorization!.replace(/^Bearer /, '');
  const codec = await fetch(`${stack.apiUrl}/v1/codec/${key}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payloads: [] }) });
  expect(codec.status).toBe(200);
  expect((await scrape(stack.apiUrl, {})).status).toBe(401);

  const { status, type, text } = await scrape(stack.apiUrl);
  expect([status, type]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  const requests = (method: string, route: string, answered: number) => sample(text, 'http_requests_total', { method, route, status: String(answered) });
  expect(requests('POST', '/v1/purchases', 201)).toBe(1);
  expect(requests('POST', '/v1/purchases', 200)).toBe(1);
  expect(requests('POST', '/v1/purchases', 400)).toBe(1);
  expect(requests('GET', '/v1/customers/:customerId/journey', 200)).toBe(1);
  expect(requests('GET', '/v1/customers/:customerId/journey', 404)).toBe(2);
  expect(requests('GET', '(unmatched)', 404)).toBe(1);
  expect(requests('POST', '/v1/codec/:key/:operation', 200)).toBe(1);
  expect(requests('GET', '/metrics', 401)).toBe(1);
  expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/v1/customers/:customerId/journey', status: '404' })).toBe(2);
  expect(sample(text, 'http_request_duration_seconds_sum', { method: 'POST', route: '/v1/purchases', status: '201' })).toBeGreaterThan(0);
  expect(text).toContain('# TYPE http_request_errors_total counter');

  for (const raw of ['metrics-acme', 'nobody', key, '/no/such/path']) expect([raw, text.includes(raw)]).toEqual([raw, false]);
  expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
}, 60_000);

test('a 5xx is counted as an error; each app counts in its own registry', async () => {
  const serve = async (app: express.Express) => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const appWith = () => {
    const metrics = apiMetrics();
    const app = express();
    app.use(metrics.middleware);
    app.get('/boom/:id', () => {
      throw new Error('boom');
    });
    app.get('/metrics', metrics.handler);
    return app;
  };
  const [one, other] = [await serve(appWith()), await serve(appWith())];
  try {
    expect((await fetch(`${one.url}/boom/cust-1`)).status).toBe(500);
    expect((await fetch(`${one.url}/boom/cust-2`)).status).toBe(500);
    const text = (await scrape(one.url, {})).text;
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/boom/:id', status: '500' })).toBe(2);
    expect(sample(text, 'http_request_errors_total', { method: 'GET', route: '/boom/:id' })).toBe(2);
    expect(text).not.toContain('cust-1');
    expect(sample((await scrape(other.url, {})).text, 'http_requests_total', { method: 'GET', route: '/boom/:id', status: '500' })).toBeUndefined();
  } finally {
    for (const { server } of [one, other]) await new Promise((resolve) => server.close(resolve));
  }
});

test('the worker counts touchpoints and milestones from the facts it added, with Temporal Core\'s metrics in one answer; the API has the journeys by stage', async () => {
  expect((await stack.post('/v1/purchases', purchaseBody('metrics-globex'))).status).toBe(201);
  expect((await stack.post('/v1/customers/metrics-globex/events', { eventId: 'globex-login', type: 'user.login' })).status).toBe(202);
  const db = await stack.database();
  const factCount = async (kind: string, detail: string, value: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM journey_facts WHERE kind = $1 AND detail ->> $2 = $3`, [kind, detail, value])).rows[0]!.n;
  // Both journeys' welcome emails (this one's and the first test's), and this customer's first login.
  await eventually(async () => {
    expect(await factCount('touchpoint.done', 'action', 'email')).toBe(2);
    expect(await factCount('milestone.reached', 'name', 'First login')).toBe(1);
  }, 30_000, 250);

  const scraped = await fetch(`${workerUrl}/metrics`);
  expect([scraped.status, scraped.headers.get('content-type')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  const text = await scraped.text();
  // Each welcome email once, as in the facts table: counted from the facts the worker's batches added.
  expect(sample(text, 'journey_touchpoints_total', { map: 'default', action: 'email', result: 'done' })).toBe(2);
  expect(text).not.toMatch(/^journey_touchpoints_total\{.*result="(failed|unconfirmed)"/m);
  expect(sample(text, 'journey_milestones_total', { map: 'default', milestone: 'first-login', result: 'reached' })).toBe(1);
  // Temporal Core's own, from its exporter, in the same answer; and the process's.
  expect(text).toMatch(/^temporal_workflow_task_execution_latency_count\{.*\} [1-9]/m);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
  expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  for (const raw of ['metrics-globex', 'metrics-acme', 'jo@']) expect([raw, text.includes(raw)]).toEqual([raw, false]);
  expect((await fetch(`${workerUrl}/elsewhere`)).status).toBe(404);

  // The journeys by stage on the API: what the journeys table says, whichever worker wrote it.
  const table = await db.query<{ map_id: string; stage: string; at_risk: boolean; n: number }>(
    `SELECT map_id, stage, at_risk, count(*)::int AS n FROM journeys WHERE status = 'running' GROUP BY map_id, stage, at_risk`,
  );
  expect(table.rows).toEqual([{ map_id: 'default', stage: 'onboarding', at_risk: false, n: 2 }]);
  const api = (await scrape(stack.apiUrl)).text;
  expect(api).toMatch(/^# HELP journeys_by_stage .*whole-engine figure/m);
  expect(api).toMatch(/^# TYPE journeys_by_stage gauge$/m);
  expect(api.split('\n').filter((line) => line.startsWith('journeys_by_stage{'))).toEqual(
    table.rows.map((row) => `journeys_by_stage{map="${row.map_id}",stage="${row.stage}",at_risk="${row.at_risk}"} ${row.n}`),
  );
}, 60_000);
