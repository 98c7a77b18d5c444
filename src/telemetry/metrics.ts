/**
 * @module
 * Prometheus metrics. Each process part (a tank server, the gateway) owns its own registry:
 * the embedded default runs a gateway and two servers in one process, and prom-client's
 * global registry would merge their figures.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Labels added to every series, e.g. `{ server_id: 'alpha' }`. */
  labels?: Record<string, string>;
  /** Process metrics (CPU, memory, event-loop lag): once per OS process, not per part. */
  processMetrics?: boolean;
}

/**
 * @example
 * ```ts
 * const registry = createMetricsRegistry({ labels: { server_id }, processMetrics: true });
 * app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));
 * ```
 */
export function createMetricsRegistry({
  labels = {},
  processMetrics = false,
}: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  if (processMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

/** Latency buckets in seconds for HTTP routes: 0.5 ms … 2.5 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
