/**
 * @module
 * The two kinds of step `bench fleet` runs on a grown fleet: a measuring window (Consul's CPU
 * and memory, the gateway's cost per watch round, the view's freshness) and a Consul server
 * killed with SIGKILL while the gateway's view is watched for a wrong count or health.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../../src/mesh/index.ts';
import type { ClusterAgent, ConsulCluster } from '../../test/support/consul-cluster.ts';
import type { FleetDriver } from './fleet-driver.ts';
import type { GatewayView } from './fleet-gateway.ts';
import { probeFreshness } from './fleet-probe.ts';
import { sampleProcesses } from './proc-stats.ts';
import { quantile } from './viewer-gaps.ts';

export interface StepContext {
  cluster: ConsulCluster;
  driver: FleetDriver;
  view: GatewayView;
  /** Simulated servers registered now. */
  size: number;
  heartbeatMs: number;
  ttlMs: number;
}

const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** `count` distinct simulated servers, spread over the fleet (7919 is prime: no repeats below it). */
export function probeIds(size: number, count: number, salt: number): string[] {
  return Array.from({ length: Math.min(count, size) }, (_, j) => `sim-${(j * 7919 + salt) % size}`);
}

/**
 * Measures `windowMs` at the current size and rate; freshness probes run inside the window.
 *
 * @example
 * ```ts
 * rows.push({ profile: 'default', ...(await measureWindow(context, 15_000)) });
 * ```
 */
export async function measureWindow(
  ctx: StepContext,
  windowMs: number,
): Promise<Record<string, string | number>> {
  const { cluster, driver, view, size, heartbeatMs, ttlMs } = ctx;
  const leader = await cluster.leader();
  const agents = [...cluster.servers, ...cluster.clients];
  await driver.stats();
  view.takeRounds();
  const load0 = os.loadavg()[0]!;
  const began = performance.now();
  const cpu0 = process.cpuUsage();
  const sampler = sampleProcesses(agents.map((a) => a.pid!));
  const ids = probeIds(size, Math.max(10, Math.min(30, Math.round(size * 0.03))), size);
  // A fleet past what the machine can heartbeat may never settle: say so instead of stopping.
  const fresh = await probeFreshness({
    driver,
    view,
    ids,
    ttlMs,
    spreadMs: Math.min(3000, ttlMs),
    timeoutMs: 30_000,
  }).catch((err: Error) => {
    console.log(`[fleet]   freshness probe gave up: ${err.message}`);
    return {
      samples: 0,
      downP50Ms: Number.NaN,
      downP99Ms: Number.NaN,
      upP50Ms: Number.NaN,
      upP99Ms: Number.NaN,
    };
  });
  await delay(Math.max(0, windowMs - (performance.now() - began)));
  const usage = sampler.stop();
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - began) / 1000;
  const rounds = view.takeRounds();
  const stats = await driver.stats();
  const of = (list: readonly ClusterAgent[], pick: (a: ClusterAgent) => string) => list.map(pick).join(' / ');
  const flaps = [...view.unexpectedDown].length;
  const clientCpu = cluster.clients.map((a) => usage.get(a.pid!)!.cpuPercent);
  for (const [why, n] of Object.entries(stats.reasons)) console.log(`[fleet]   ${n} passes failed: ${why}`);
  return {
    'passes/s (target)': `${fixed(stats.passes / wall)} (${fixed((size * 1000) / heartbeatMs)})`,
    'failed passes': stats.failed,
    'pass p99 ms': fixed(stats.passP99Ms),
    'servers CPU % (* leader)': of(
      cluster.servers,
      (a) => `${fixed(usage.get(a.pid!)!.cpuPercent)}${a === leader ? '*' : ''}`,
    ),
    'servers RSS MB max': of(cluster.servers, (a) => fixed(usage.get(a.pid!)!.rssMaxMb)),
    'clients CPU % (all / busiest)': `${fixed(clientCpu.reduce((a, b) => a + b, 0))} / ${fixed(Math.max(...clientCpu))}`,
    'watch rounds/s': fixed(rounds.count / wall, 1),
    'entries/round': fixed(rounds.entries / Math.max(1, rounds.count)),
    'gateway CPU ms/round': fixed((cpu.user + cpu.system) / 1000 / Math.max(1, rounds.count), 1),
    'decode ms p50 / p99': `${fixed(quantile(rounds.decodeMs, 0.5), 1)} / ${fixed(quantile(rounds.decodeMs, 0.99), 1)}`,
    'critical→gateway ms p50 / p99': `${fixed(fresh.downP50Ms)} / ${fixed(fresh.downP99Ms)}`,
    'pass→gateway up ms p50 / p99': `${fixed(fresh.upP50Ms)} / ${fixed(fresh.upP99Ms)}`,
    probes: fresh.samples,
    flaps,
    'driver CPU %': fixed(stats.cpuMs / 10 / wall),
    'load 1 min (start / end)': `${fixed(load0, 2)} / ${fixed(os.loadavg()[0]!, 2)}`,
  };
}

/**
 * SIGKILLs one Consul server (the leader or not), waits for the cluster to settle, probes the
 * view's freshness on the two left, checks the view, then restarts the server.
 *
 * @example
 * ```ts
 * killRows.push(await killServer(context, 'leader'));
 * ```
 */
export async function killServer(
  ctx: StepContext,
  which: 'leader' | 'non-leader',
): Promise<Record<string, string | number>> {
  const { cluster, driver, view, size, ttlMs } = ctx;
  const leader = await cluster.settled({ voters: cluster.servers.length });
  const victim = which === 'leader' ? leader : cluster.servers.find((s) => s !== leader)!;
  view.takeRounds();
  // The view as the gateway holds it, every 50 ms from the kill on: it must never lose a server.
  let lowest = view.directory.healthy().length;
  let fewest = view.directory.all().length;
  const watcher = setInterval(() => {
    lowest = Math.min(lowest, view.directory.healthy().length);
    fewest = Math.min(fewest, view.directory.all().length);
  }, 50);
  const began = performance.now();
  await victim.kill('SIGKILL');
  // A running server leads (the old one, when a follower was killed): what some agent sees first.
  await waitFor(async () => (await cluster.leader())?.running, { what: 'a running leader', timeout: 60_000 });
  const electedMs = performance.now() - began;
  const next = await cluster.settled({ timeout: 60_000 });
  const settledMs = performance.now() - began;
  // Past one TTL after settling, a heartbeat lost in the outage would have shown as critical.
  await delay(ttlMs + 2000);
  clearInterval(watcher);
  const ids = probeIds(size, 10, 17);
  const fresh = await probeFreshness({
    driver,
    view,
    ids,
    ttlMs,
    spreadMs: Math.min(2000, ttlMs),
    timeoutMs: 30_000,
  });
  // The view is right once it counts every server and all of them healthy again (a fleet this
  // machine cannot heartbeat in time may not get there: reported, not thrown).
  const whole = await view.waitForView(size, size, 30_000).then(
    () => 'yes',
    (err: Error) => `no: ${err.message.replace(/.*; it sees /, 'sees ')}`,
  );
  const rounds = view.takeRounds();
  const restartedAt = performance.now();
  await victim.restart();
  await cluster.settled({ voters: cluster.servers.length, timeout: 60_000 });
  return {
    killed: `${which} (${victim.nodeName})`,
    'new leader': next === leader ? 'unchanged' : next.nodeName,
    'leader known after ms': fixed(electedMs),
    'all agents agree after ms': fixed(settledMs),
    'all back healthy': whole,
    'fewest / least healthy seen': `${fewest} / ${lowest}`,
    'critical→gateway ms p50 / p99 (2 servers)': `${fixed(fresh.downP50Ms)} / ${fixed(fresh.downP99Ms)}`,
    flaps: [...view.unexpectedDown].length,
    'watch rounds': rounds.count,
    'rejoined after restart ms': fixed(performance.now() - restartedAt),
  };
}
