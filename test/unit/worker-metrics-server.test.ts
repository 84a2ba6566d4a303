import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { ConfigError } from '../../src/config';
import { createLogger } from '../../src/logger';
import { freeLoopbackPort, serveWorkerMetrics, workerMetrics } from '../../src/worker/metrics';

/** The worker's metrics server without a worker: its registry, then what Core's exporter answers, in one text. */
const log = createLogger('worker-metrics-test', 'silent');

test("one answer: the worker's registry, then Core's exporter's text; without Core, a comment says so", async () => {
  const core = createServer((_req, res) => res.end('# TYPE temporal_worker_start counter\ntemporal_worker_start{service_name="temporal-core-sdk"} 1\n'));
  await new Promise<void>((resolve) => core.listen(0, '127.0.0.1', resolve));
  const coreUrl = `http://127.0.0.1:${(core.address() as AddressInfo).port}/metrics`;
  const { registry } = workerMetrics();
  new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
  const withCore = await serveWorkerMetrics({ registry, host: '127.0.0.1', port: 0, coreMetricsUrl: coreUrl, log });
  const withoutCore = await serveWorkerMetrics({ registry, host: '127.0.0.1', port: 0, coreMetricsUrl: `http://127.0.0.1:${await freeLoopbackPort()}/metrics`, log });
  try {
    const text = await (await fetch(withCore.url)).text();
    expect(text).toMatch(/^test_things_total 3$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^temporal_worker_start\{service_name="temporal-core-sdk"\} 1$/m);
    const missing = await fetch(withoutCore.url);
    expect(missing.status).toBe(200);
    const partial = await missing.text();
    expect(partial).toMatch(/^test_things_total 3$/m);
    expect(partial).toMatch(/^# Temporal Core's metrics are missing from this scrape/m);
    expect((await fetch(withCore.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(withCore.url, { method: 'POST' })).status).toBe(405);
  } finally {
    await withCore.close();
    await withoutCore.close();
    await new Promise((resolve) => core.close(resolve));
  }
});

test('a port taken is a configuration mistake naming WORKER_METRICS_PORT', async () => {
  const { registry } = workerMetrics();
  const first = await serveWorkerMetrics({ registry, host: '127.0.0.1', port: 0, log });
  try {
    const port = Number(new URL(first.url).port);
    const second = serveWorkerMetrics({ registry, host: '127.0.0.1', port, log });
    await expect(second).rejects.toThrow(ConfigError);
    await expect(second).rejects.toThrow(new RegExp(`WORKER_METRICS_PORT: cannot listen on 127.0.0.1:${port} \\(EADDRINUSE\\)`));
  } finally {
    await first.close();
  }
});
