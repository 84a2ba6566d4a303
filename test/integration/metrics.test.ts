import type { AddressInfo } from 'node:net';
import express from 'express';
import { apiMetrics } from '../../src/api/metrics';
import { purchaseBody } from '../helpers/fixtures';
import { LocalStack, startedForTheseTests } from '../helpers/stack';

/** GET /metrics: the process's metrics, and every answer counted by method, route pattern (never the raw path) and status. */
const stack = new LocalStack();
startedForTheseTests(stack);

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
