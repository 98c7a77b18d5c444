/**
 * @module
 * The gateway's own Prometheus series beside the per-route latency histograms of `observe`:
 * lookup cache hits and misses, placements per server, failovers, SSE clients and the servers
 * discovery shows by health. Gauges read their value when scraped, so nothing is kept twice.
 */

import { Counter, Gauge, type Registry } from '../telemetry/index.ts';
import type { TankCache } from './cache.ts';
import type { ServerDirectory } from './directory.ts';
import type { EventHub } from './events.ts';

export interface GatewayMetricsOptions {
  registry: Registry;
  cache: TankCache;
  directory: ServerDirectory;
  hub: EventHub;
}

/**
 * @example
 * ```ts
 * const metrics = createGatewayMetrics({ registry, cache, directory, hub });
 * metrics.placements.inc({ server_id: 'server-2' });
 * ```
 */
export function createGatewayMetrics({ registry, cache, directory, hub }: GatewayMetricsOptions) {
  new Gauge({
    name: 'tankworld_gateway_lookup_cache_hits',
    help: 'Tank lookups answered from the cache since start',
    registers: [registry],
    collect() {
      this.set(cache.hits);
    },
  });
  new Gauge({
    name: 'tankworld_gateway_lookup_cache_misses',
    help: 'Tank lookups that had to query the store since start',
    registers: [registry],
    collect() {
      this.set(cache.misses);
    },
  });
  new Gauge({
    name: 'tankworld_gateway_lookup_cache_entries',
    help: 'Tanks held in the lookup cache',
    registers: [registry],
    collect() {
      this.set(cache.size);
    },
  });
  new Gauge({
    name: 'tankworld_gateway_sse_clients',
    help: 'Open Server-Sent Events streams',
    registers: [registry],
    collect() {
      this.set(hub.clients);
    },
  });
  new Gauge({
    name: 'tankworld_gateway_servers',
    help: 'Tank servers discovery shows, by health',
    labelNames: ['health'],
    registers: [registry],
    collect() {
      const all = directory.all();
      for (const health of ['passing', 'warning', 'critical'] as const) {
        this.set({ health }, all.filter((s) => s.status === health).length);
      }
    },
  });
  return {
    placements: new Counter({
      name: 'tankworld_gateway_placements_total',
      help: 'Tanks created through this gateway, by the server that got them',
      labelNames: ['server_id'],
      registers: [registry],
    }),
    failovers: new Counter({
      name: 'tankworld_gateway_failovers_total',
      help: 'Tanks moved off an unavailable server, by where they went',
      labelNames: ['from', 'to'],
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
