/**
 * @module
 * Consul at fleet size: a 3-server Consul cluster on loopback (the pinned v1.14.11, each server
 * its own process, data dir and ports, Raft between them) with client agents (16), simulated tank
 * servers registered on the clients and passing their TTL checks with a changing load output
 * (a child process, `support/fleet-driver-child.ts`), and the gateway's own server directory
 * watching the catalog through the first client. For each heartbeat profile (default, fast) and
 * each fleet size: each Consul server's CPU and RSS, the gateway's CPU per blocking-watch round,
 * and the view's freshness (a check turning critical → the directory announcing it down). Then,
 * at the largest size on the default profile, one Consul server is SIGKILLed (a follower, then
 * the leader) and the gateway's view must stay whole.
 * Run: `npm run bench fleet` (FLEET_SIZES=100,300,1000 for every profile, else the fast profile
 * runs FLEET_FAST_SIZES=100; FLEET_PROFILES=default,fast, FLEET_CLIENTS=16 client agents,
 * FLEET_WINDOW_SECONDS=12, FLEET_KILL_SIZE=300, FLEET_KILLS=0 to skip the kills).
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { FAST_PROFILE, loadServerConfig } from '../src/config.ts';
import { parseGoDuration } from '../src/discovery/index.ts';
import { pinnedVersions, resolveBinaries, startPostgres } from '../src/mesh/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { startConsulCluster } from '../test/support/consul-cluster.ts';
import { startFleetDriver } from './support/fleet-driver.ts';
import { startGatewayView } from './support/fleet-gateway.ts';
import { killServer, measureWindow, type StepContext } from './support/fleet-steps.ts';
import { recordBenchmark } from './support/index.ts';

const SIZES = (process.env.FLEET_SIZES ?? '100,300,1000').split(',').map(Number);
const WINDOW_MS = Number(process.env.FLEET_WINDOW_SECONDS ?? 12) * 1000;
const KILLS = process.env.FLEET_KILLS !== '0';
/**
 * The kills run at this size (or the largest below it): the view must come back whole, which a
 * fleet that the shared machine cannot heartbeat in time never shows.
 */
const KILL_SIZE = Number(process.env.FLEET_KILL_SIZE ?? 300);
/**
 * A client agent sends its changes to the servers one at a time, holding its state lock through
 * each Raft write (measured here: ~50 check updates/s per agent on this loaded machine), so 500
 * simulated servers on one agent starve; a real fleet has one agent per host. Enough agents that
 * each carries ≤ ~60 servers (≤ 30 writes/s at the default heartbeat).
 */
const CLIENT_AGENTS = Number(process.env.FLEET_CLIENTS ?? 16);
/** The fast profile's steps: 4 writes/s per server soon passes what the agents here can send. */
const FAST_SIZES = (process.env.FLEET_FAST_SIZES ?? '100').split(',').map(Number);
/** The config's own heartbeat and TTL (nothing set): the default profile. */
const DEFAULTS = loadServerConfig([], { JWT_SECRET: 'x'.repeat(32), INTERNAL_SECRET: 'y'.repeat(32) });
const ALL_PROFILES = [
  { name: 'default', heartbeatMs: DEFAULTS.heartbeatMs, ttl: DEFAULTS.checkTtl },
  { name: 'fast', heartbeatMs: Number(FAST_PROFILE.heartbeatMs), ttl: FAST_PROFILE.checkTtl },
];
const PROFILES = (process.env.FLEET_PROFILES ?? 'default,fast')
  .split(',')
  .map((name) => ALL_PROFILES.find((p) => p.name === name) ?? ALL_PROFILES[0]!);

const binaries = resolveBinaries({ env: process.env });
const pg = process.env.DATABASE_URL ? undefined : await startPostgres({ binDir: binaries.postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase('bench_fleet'));
const logger = createLogger({ level: 'warn' });
const store = createStore({ databaseUrl, logger, poolSize: 2 });
await store.migrate();
const realtime = await createRealtime({});
const began = performance.now();
const cluster = await startConsulCluster({ servers: 3, clients: CLIENT_AGENTS, bin: binaries.consul });
console.log(
  `[fleet] cluster of 3 servers + ${CLIENT_AGENTS} clients up in ${Math.round(performance.now() - began)} ms`,
);
const driver = await startFleetDriver();
const view = await startGatewayView({
  consulAddr: cluster.clients[0]!.httpAddr,
  db: store.db,
  realtime,
  logger,
});
const clientAddrs = cluster.clients.map((c) => c.httpAddr);
const rows: Array<Record<string, string | number>> = [];
const killRows: Array<Record<string, string | number>> = [];
try {
  for (const profile of PROFILES) {
    await driver.reset();
    await view.waitForView(0, 0, 60_000);
    await driver.setRate(profile.heartbeatMs);
    const ttlMs = parseGoDuration(profile.ttl);
    const sizes = profile.name === 'fast' && process.env.FLEET_SIZES === undefined ? FAST_SIZES : SIZES;
    for (const size of sizes) {
      const grown = performance.now();
      await driver.grow(size, clientAddrs, profile.ttl);
      // All registered; under the fast profile on a loaded machine some may already be late.
      await view.waitForView(size, undefined, 120_000);
      const visibleMs = performance.now() - grown;
      const healthyAtStart = view.directory.healthy().length;
      await delay(2000); // into the rate before measuring
      const ctx: StepContext = { cluster, driver, view, size, heartbeatMs: profile.heartbeatMs, ttlMs };
      rows.push({
        profile: `${profile.name} (${profile.heartbeatMs} ms / TTL ${profile.ttl})`,
        servers: size,
        'grown and seen ms': Math.round(visibleMs),
        'healthy when seen': healthyAtStart,
        ...(await measureWindow(ctx, WINDOW_MS)),
      });
      console.log(`[fleet] ${JSON.stringify(rows.at(-1))}`);
      if (KILLS && profile === PROFILES[0] && size === Math.min(KILL_SIZE, sizes.at(-1)!)) {
        for (const which of ['non-leader', 'leader'] as const) {
          killRows.push({ profile: profile.name, servers: size, ...(await killServer(ctx, which)) });
          console.log(`[fleet] ${JSON.stringify(killRows.at(-1))}`);
        }
      }
    }
  }
} finally {
  await view.stop();
  await driver.stop();
  await cluster.stop();
  await realtime.close();
  await store.close();
  await pg?.stop();
}

const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
recordBenchmark({
  name: 'fleet',
  rows,
  notes: [
    `Consul ${pinnedVersions().consul}: 3 server agents (Raft, raft_multiplier 1, check_update_interval 0s) and ${CLIENT_AGENTS} client agents, each its own process, data dir and ports on loopback (test/support/consul-cluster.ts)`,
    `simulated tank servers register on the client agents (round-robin), as a server registers with its own host's agent: Consul servers then see one catalog write per heartbeat (the load output changes every beat), as from a real fleet; not simulated: 1,000 hosts' agents in the gossip pool (here ${3 + CLIENT_AGENTS} members)`,
    'the heartbeats come from one child process (at most 128 calls in flight); "passes/s (target)" says whether the fleet kept its rate (the probe servers are silent for part of the window, so a few % below is expected)',
    'a client agent sends its changes to the servers one at a time, holding its state lock through each Raft write: one agent carrying 500 heartbeating servers managed ~50 passes/s (p50 4–9 s) and its servers went critical; hence many agents, each ≤ ~60 servers — a real fleet has one agent per host',
    `the gateway side is src/gateway/directory.ts on createConsulDiscovery (blocking watch of tank-server through client 1, at most one round per 100 ms) in the bench process; "gateway CPU ms/round" = that process's CPU over the window ÷ rounds (HTTP, JSON parse, decode, directory); "decode" = instancesOf + membership compare only`,
    'freshness: 3 % of the fleet (10–30) stop heartbeating, spread over min(TTL, 3 s); critical→gateway = directory announces it down − (last pass sent + TTL); pass→gateway up = directory announces it up − first pass back sent. flaps = servers announced down that were never silenced',
    `CPU is % of one core over the window (${WINDOW_MS / 1000} s, longer when a probe waits); the machine has ${os.cpus().length} cores shared with other work (load average at the end: ${load}), so every figure includes scheduling noise`,
  ],
});
if (killRows.length > 0)
  recordBenchmark({
    name: 'fleet: one Consul server killed',
    rows: killRows,
    notes: [
      `SIGKILL of one of the 3 Consul servers at ${KILL_SIZE} servers (FLEET_KILL_SIZE), default profile; settled = every running agent names the same running leader; "fewest / least healthy seen" = the gateway view sampled every 50 ms from the kill to one TTL + 2 s after settling`,
      'then 10 servers stop heartbeating on the 2-server cluster (freshness) and come back; the view must come back to all servers healthy; the killed server is restarted on its data dir and rejoins',
    ],
  });
