/**
 * Prometheus metrics for the API (GET /metrics): the process's own (CPU, memory, event loop lag, GC), each
 * answer counted and timed by method, route and status, and the running journeys by stage (the whole engine's,
 * from its database). The route is the express route pattern (/v1/customers/:customerId/journey), never the
 * path as sent: paths carry customer ids and API keys.
 */
import type { Request, RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { JourneyStageReader } from '../facts/journey-facts';
import type { Logger } from '../logger';
import { journeysByStageGauge } from '../metrics/journeys-by-stage';
import { metricsRegistry } from '../metrics/registry';

/** The route label of a request no route matched (unknown paths, the console's files, requests refused before routing). */
export const UNMATCHED = '(unmatched)';

export interface ApiMetrics {
  /** Mount first: it counts every answer, those refused before any route (hosts, body size, rate limits) too. */
  middleware: RequestHandler;
  /** GET /metrics: the registry in the Prometheus text format. */
  handler: RequestHandler;
  registry: Registry;
}

/**
 * The metrics of one app, in a registry of its own (not the global one): each app a test makes counts on its own.
 * With `journeyStages`, the journeys by stage too, read at each scrape.
 */
export function apiMetrics(options: { journeyStages?: JourneyStageReader; log?: Logger } = {}): ApiMetrics {
  const registry = metricsRegistry();
  if (options.journeyStages) journeysByStageGauge(registry, options.journeyStages, options.log);
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'http_request_errors_total',
    help: 'HTTP requests answered with a 5xx, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });

  const middleware: RequestHandler = (req, res, next) => {
    const stopTimer = duration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
      requests.inc(labels);
      stopTimer(labels);
      if (res.statusCode >= 500) errors.inc({ method: labels.method, route: labels.route });
    });
    next();
  };
  const handler: RequestHandler = async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  };
  return { middleware, handler, registry };
}

/**
 * The pattern of the route that answered (read when the answer is sent: express sets req.route only once a route
 * matches). A route of several patterns (the codec's) is named by the one with as many segments as the path.
 */
export function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  const patterns = [route?.path].flat().filter((p): p is string => typeof p === 'string');
  if (patterns.length === 0) return UNMATCHED;
  const segments = (path: string) => path.replace(/\/+$/, '').split('/').length - 1;
  // Unset (undefined) again once an error has left the app's router for express's final handler.
  const baseUrl = req.baseUrl ?? '';
  const sent = segments((req.originalUrl ?? req.url).split('?')[0]!) - segments(baseUrl);
  const matching = patterns.filter((p) => segments(p) === sent);
  return `${baseUrl}${matching.length === 1 ? matching[0] : patterns.join('|')}`;
}
