/**
 * @module
 * How fresh the gateway's fleet view is: some simulated servers stop heartbeating, one after
 * another, and each one's delay is from its check turning critical (its last pass's send time
 * plus the TTL: the agent restarts the TTL when it takes the pass, so this is the earliest it
 * can turn critical) to the gateway's directory announcing it down; then they heartbeat again
 * and each delay is from the first pass back (its send time) to the directory announcing it up.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../../src/mesh/index.ts';
import type { FleetDriver } from './fleet-driver.ts';
import type { GatewayView } from './fleet-gateway.ts';
import { quantile } from './viewer-gaps.ts';

export interface Freshness {
  samples: number;
  downP50Ms: number;
  downP99Ms: number;
  upP50Ms: number;
  upP99Ms: number;
}

export interface ProbeOptions {
  driver: FleetDriver;
  view: GatewayView;
  ids: readonly string[];
  ttlMs: number;
  /** Silences are spread over this long, so they land in different watch rounds. */
  spreadMs: number;
  /** How long past the TTL the gateway may take before the probe gives up. */
  timeoutMs: number;
}

/**
 * @example
 * ```ts
 * const f = await probeFreshness({ driver, view, ids: ['sim-3', 'sim-17'], ttlMs: 6000, spreadMs: 3000, timeoutMs: 20_000 });
 * ```
 */
export async function probeFreshness({
  driver,
  view,
  ids,
  ttlMs,
  spreadMs,
  timeoutMs,
}: ProbeOptions): Promise<Freshness> {
  view.expect(ids);
  for (const id of ids) {
    view.downAt.delete(id);
    view.upAt.delete(id);
  }
  const lastSent: Record<string, number> = {};
  for (const id of ids) {
    Object.assign(lastSent, await driver.silence([id]));
    await delay(spreadMs / ids.length);
  }
  await waitFor(() => ids.every((id) => view.downAt.has(id)), {
    what: `the gateway to see ${ids.length} silenced servers down`,
    timeout: ttlMs + timeoutMs,
    interval: 50,
  });
  const down = ids.map((id) => view.downAt.get(id)! - (lastSent[id]! + ttlMs));
  // Only an announcement after the resume counts (one that flapped back meanwhile would not).
  for (const id of ids) view.upAt.delete(id);
  const sentBack = await driver.resume([...ids]);
  await waitFor(() => ids.every((id) => view.upAt.has(id)), {
    what: `the gateway to see ${ids.length} resumed servers up`,
    timeout: timeoutMs,
    interval: 50,
  });
  const up = ids.map((id) => view.upAt.get(id)! - sentBack[id]!);
  return {
    samples: ids.length,
    downP50Ms: quantile(down, 0.5),
    downP99Ms: quantile(down, 0.99),
    upP50Ms: quantile(up, 0.5),
    upP99Ms: quantile(up, 0.99),
  };
}
