/**
 * @module
 * The gateway's own Prometheus series beside the per-route latency histograms of `observe`:
 * lookup cache hits and misses, placements per server, failovers and moves, transfers (outcome,
 * duration, time per phase), SSE clients and the servers discovery shows by health. Gauges read
 * their value when scraped, so nothing is kept twice. `docs/metrics.md` lists them all.
 */

import type { TransferMetrics } from '../coordinator/index.ts';
import { Counter, Gauge, Histogram, type Registry } from '../telemetry/index.ts';
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
    moves: new Counter({
      name: 'tankworld_gateway_tank_moves_total',
      help: 'Tanks this gateway moved from one server to another, by why (failover, live move)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    transfers: createTransferMetrics(registry),
  };
}

/** Seconds buckets of a transfer and of its phases: 1 ms … 10 s. */
const TRANSFER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

function createTransferMetrics(registry: Registry): TransferMetrics {
  const total = new Counter({
    name: 'tankworld_transfers_total',
    help: 'Fish transfers this gateway drove to an end, by outcome (committed, aborted, incomplete)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tankworld_transfer_duration_seconds',
    help: 'Time from a transfer logged to its answer, by outcome',
    labelNames: ['outcome'],
    buckets: TRANSFER_BUCKETS,
    registers: [registry],
  });
  const phase = new Histogram({
    name: 'tankworld_transfer_phase_duration_seconds',
    help: 'Time of one transfer phase (prepare, commit, abort)',
    labelNames: ['phase'],
    buckets: TRANSFER_BUCKETS,
    registers: [registry],
  });
  return {
    phase: (name, seconds) => phase.observe({ phase: name }, seconds),
    outcome(outcome, seconds) {
      total.inc({ outcome });
      duration.observe({ outcome }, seconds);
    },
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
