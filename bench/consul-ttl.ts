/**
 * @module
 * What the heartbeat rate costs Consul: one real Consul agent (the pinned build, `-dev`, as the
 * mesh runs it) with 100 simulated tank servers, each a `createConsulDiscovery` registration
 * (service + TTL check) passing its TTL with a load output, all from this one process over
 * keep-alive connections, plus two gateway-like watches of `tank-server`. For each rate (idle,
 * the default heartbeat, the fast one) the agent's CPU (utime + stime from /proc/<pid>/stat) and
 * RSS (VmRSS, sampled every second) are measured over CONSUL_TTL_SECONDS (default 30).
 * Run: `npm run bench consul-ttl` (CONSUL_TTL_SERVERS, CONSUL_TTL_RATES=name:ms,… to change).
 */
import os from 'node:os';
import { FAST_PROFILE, loadServerConfig } from '../src/config.ts';
import { createConsulDiscovery, type Discovery, type WatchHandle } from '../src/discovery/index.ts';
import { pinnedVersions, resolveBinaries, startConsul } from '../src/mesh/index.ts';
import { recordBenchmark } from './support/index.ts';
import { cpuSeconds, rssMb } from './support/proc-stats.ts';

const SERVERS = Number(process.env.CONSUL_TTL_SERVERS ?? 100);
const SECONDS = Number(process.env.CONSUL_TTL_SECONDS ?? 30);
/** The config's own heartbeat and TTL (nothing set): the default rate. */
const DEFAULTS = loadServerConfig([], { JWT_SECRET: 'x'.repeat(32), INTERNAL_SECRET: 'y'.repeat(32) });
/** The fast profile's heartbeat (`FLEET_PROFILE=fast`). */
const FAST_MS = Number(FAST_PROFILE.heartbeatMs);
/** name:heartbeat ms; 0 = registered, no passes (the agent's own baseline). */
const RATES = (process.env.CONSUL_TTL_RATES ?? `idle:0,default:${DEFAULTS.heartbeatMs},fast:${FAST_MS}`)
  .split(',')
  .map((r) => {
    const [name, ms] = r.split(':');
    return { name: name!, ms: Number(ms) };
  });

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * At most this many passes in flight. The agent allows 200 concurrent connections per client IP
 * (`http_max_conns_per_client`) and answers 429 past it; a real fleet's servers each come from
 * their own address, while this one process would otherwise open a connection per late pass.
 */
const IN_FLIGHT = 48;
let inFlight = 0;
const waiting: Array<() => void> = [];
async function limited<T>(job: () => Promise<T>): Promise<T> {
  while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await job();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

const binaries = resolveBinaries({ env: process.env });
const consul = await startConsul({ bin: binaries.consul });
const pid = consul.pid!;
const fleet: Discovery[] = [];
const watches: WatchHandle[] = [];
const rows = [];
try {
  for (let i = 0; i < SERVERS; i++) {
    const d = createConsulDiscovery({
      consulAddr: consul.httpAddr,
      ttl: DEFAULTS.checkTtl,
      deregisterCriticalAfter: '1m',
    });
    const port = 20_000 + i;
    await d.register({
      serverId: `sim-${i}`,
      address: '127.0.0.1',
      port,
      region: 'bench',
      zone: `bench-${i % 3}`,
      version: '2.0.0',
      capabilities: [],
      publicUrl: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      startedAt: new Date().toISOString(),
    });
    fleet.push(d);
  }
  let changes = 0;
  for (let g = 0; g < 2; g++) {
    const reader = createConsulDiscovery({ consulAddr: consul.httpAddr });
    fleet.push(reader);
    watches.push(await reader.watch(() => changes++));
  }

  for (const { name, ms } of RATES) {
    let passes = 0;
    let failed = 0;
    /** Why passes failed (digits folded), with counts: printed after the rate. */
    const reasons = new Map<string, number>();
    let stopping = false;
    // Each server on its own timer, spread over the period as a real fleet would be.
    const loops =
      ms === 0
        ? []
        : fleet.slice(0, SERVERS).map(async (d, i) => {
            await delay((ms * i) / SERVERS);
            while (!stopping) {
              const beat = performance.now();
              await limited(() =>
                d.passTtl({
                  tank_count: i % 7,
                  cpu_percent: (i * 13) % 90,
                  memory_mb: 140 + i,
                  ws_connections: i,
                  ticks_behind: 0,
                }),
              ).then(
                () => passes++,
                (err: Error) => {
                  failed++;
                  const why = err.message.replace(/\d+/g, 'N').slice(0, 120);
                  reasons.set(why, (reasons.get(why) ?? 0) + 1);
                },
              );
              await delay(Math.max(0, ms - (performance.now() - beat)));
            }
          });
    await delay(2000); // settle into the rate before measuring
    const [cpu0, t0, driver0, passes0] = [cpuSeconds(pid), performance.now(), process.cpuUsage(), passes];
    const rss: number[] = [];
    for (let s = 0; s < SECONDS; s++) {
      await delay(1000);
      rss.push(rssMb(pid));
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const driver = process.cpuUsage(driver0);
    stopping = true;
    await Promise.all(loops);
    rows.push({
      rate: ms === 0 ? `${name} (no passes)` : `${name} (every ${ms} ms)`,
      servers: SERVERS,
      'passes/s': Math.round((passes - passes0) / wall),
      'failed passes': failed,
      'agent CPU % of a core': ((100 * cpu) / wall).toFixed(1),
      'agent RSS MB (mean / max)': `${(rss.reduce((a, b) => a + b, 0) / rss.length).toFixed(0)} / ${Math.max(...rss).toFixed(0)}`,
      'driver CPU % of a core': ((100 * (driver.user + driver.system)) / 1e6 / wall).toFixed(1),
      seconds: Math.round(wall),
    });
    console.log(`[consul-ttl] ${JSON.stringify(rows.at(-1))}`);
    for (const [why, n] of reasons) console.log(`[consul-ttl]   ${n} passes failed: ${why}`);
  }
  console.log(`[consul-ttl] watch callbacks over the run: ${changes}`);
} finally {
  for (const w of watches) w.stop();
  await Promise.all(fleet.map((d) => d.close().catch(() => undefined)));
  await consul.stop();
}

recordBenchmark({
  name: 'consul-ttl',
  rows,
  notes: [
    `one Consul ${pinnedVersions().consul} dev agent (src/mesh startConsul); ${SERVERS} registrations made by \`createConsulDiscovery\` (service + TTL check), each passed by \`passTtl\` with a load output on its own timer from this one Node process (fetch keep-alive, at most ${IN_FLIGHT} passes in flight: the agent refuses more than 200 connections from one address); two watches of \`tank-server\` (blocking queries) as two gateways hold`,
    `agent CPU = Δ(utime + stime) of the agent's process over ${SECONDS} s, after 2 s at the rate; RSS = VmRSS sampled every second`,
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (2 cores shared with other work, so the CPU figures include some scheduling noise)`,
  ],
});
