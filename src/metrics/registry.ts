/**
 * What every process's Prometheus metrics start from (the API's GET /metrics, the worker's metrics server): a
 * registry of its own, never prom-client's global one, so each app or worker a test makes counts on its own,
 * with the process's metrics (CPU, memory, event loop lag, GC, handles) in it.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function metricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
