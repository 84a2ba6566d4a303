/**
 * The worker's Prometheus metrics, served on a small HTTP server of its own (WORKER_METRICS_PORT): the process's
 * metrics, the touchpoints and milestones it recorded (from the journey facts its batches added), and Temporal
 * Core's own (workflow and activity task latencies and failures, polls, slots, the sticky cache, requests to the
 * server), which Core's Prometheus exporter serves on a loopback port that only this server reads: one scrape
 * target per worker, one answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { JourneyFact } from '../../contracts/facts';
import { ConfigError } from '../config';
import type { Logger } from '../logger';
import { journeyFactCounters } from '../metrics/journey-facts';
import { metricsRegistry } from '../metrics/registry';

export interface WorkerMetrics {
  registry: Registry;
  /** The facts a batch added (ActivityDeps.factsRecorded). */
  countFacts: (facts: readonly JourneyFact[]) => void;
}

export function workerMetrics(): WorkerMetrics {
  const registry = metricsRegistry();
  return { registry, countFacts: journeyFactCounters(registry).count };
}

/** A port free on loopback now, for Core's exporter (which cannot say which port it took if given 0). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How long a scrape waits for Core's exporter before answering without its metrics. */
const CORE_TIMEOUT_MS = 5_000;

export interface MetricsServer {
  /** Where it listens, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics on host:port (0: any free port): the registry's text, then Core's exporter's (at `coreMetricsUrl`),
 * or a comment saying why Core's metrics are missing this time.
 */
export async function serveWorkerMetrics(options: { registry: Registry; host: string; port: number; coreMetricsUrl?: string; log: Logger }): Promise<MetricsServer> {
  const { registry, coreMetricsUrl, log } = options;
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://worker').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the worker serves GET /metrics only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    void Promise.all([registry.metrics(), coreMetricsUrl ? coreMetrics(coreMetricsUrl, log) : '']).then(
      ([own, core]) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : `${own}\n${core}`),
      (err: unknown) => {
        log.error({ err }, 'worker metrics: could not collect');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('could not collect the metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
        ? new ConfigError(`Invalid configuration:\n  WORKER_METRICS_PORT: cannot listen on ${options.host}:${options.port} (${err.code}); choose another port (0: any free one) or WORKER_METRICS_HOST`)
        : err),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function coreMetrics(url: string, log: Logger): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(CORE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`answered ${response.status}`);
    return await response.text();
  } catch (err) {
    log.warn({ err }, "worker metrics: Temporal Core's exporter did not answer");
    return "# Temporal Core's metrics are missing from this scrape: its exporter did not answer\n";
  }
}
