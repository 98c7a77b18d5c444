/**
 * @module
 * One user floods the gateway while other users read: how fast the flood goes before its first
 * 429, and other users' read p95 during the flood against the same reads with no flood (goal:
 * within 20 %). Two floods, the incident's (creates, which start simulations) and a read flood,
 * each run against the default limits and, for comparison, against no limits at all. A gateway
 * and two tank servers run in this process on PostgreSQL (DATABASE_URL or a throwaway one);
 * the flood and the readers are separate Node processes (fetch, keep-alive). Every client is
 * 127.0.0.1 here, so the per-address limits are off; the per-user ones are the defaults.
 * Run: `npm run bench flood` (FLOOD_SECONDS, FLOOD_CONNECTIONS, FLOOD_READERS).
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { mintToken } from '../src/auth/index.ts';
import { limitsConfigOf, loadGatewayConfig } from '../src/config.ts';
import { createLimits, createMemoryLimitBackend, type LimitsConfig, NO_LIMITS } from '../src/limits/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { benchDatabases } from './support/databases.ts';
import { recordBenchmark } from './support/index.ts';
import { startLocalFleet } from './support/local-fleet.ts';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.FLOOD_CONNECTIONS ?? 32);
const READERS = Number(process.env.FLOOD_READERS ?? 16);
/** Each reader's pace: a person's dashboard, not a load generator. */
const READ_EVERY_MS = 50;
const SECRET = 'bench-flood-secret-0123456789';
const run = promisify(execFile);

const databases = await benchDatabases();
const logger = createLogger({ level: 'warn' });
const defaults: LimitsConfig = { ...limitsConfigOf(loadGatewayConfig([], {})), requestsPerAddress: 0 };
Object.assign(defaults, { createsPerAddress: 0, transfersPerAddress: 0, wsPerAddress: 0, ssePerAddress: 0 });

/** Flood or read from a separate process: `concurrency` loops for `seconds`, each answer timed. */
const clientScript = `
const { url, token, seconds, concurrency, mode, paths, paceMs } = JSON.parse(process.argv[1]);
const began = performance.now();
const until = began + seconds * 1000;
const latencies = [];
const statuses = {};
let firstRefusal = null, acceptedBeforeRefusal = 0;
async function loop(i) {
  let n = i;
  while (performance.now() < until) {
    const started = performance.now();
    const init = mode === 'create'
      ? { method: 'POST', headers: { authorization: 'Bearer ' + token[0], 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'flood ' + n, initial_fish: 10 }) }
      : { headers: { authorization: 'Bearer ' + token[n % token.length] } };
    const res = await fetch(url + paths[n % paths.length], init).catch(() => null);
    if (res) await res.arrayBuffer();
    const now = performance.now();
    latencies.push(now - started);
    const status = res ? res.status : 0;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 429 && firstRefusal === null) firstRefusal = now - began;
    if (status >= 200 && status < 300 && firstRefusal === null) acceptedBeforeRefusal++;
    n += concurrency;
    if (paceMs > 0) await new Promise((r) => setTimeout(r, Math.max(0, paceMs - (now - started))));
  }
}
await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(JSON.stringify({ total: latencies.length, statuses, p50: q(0.5), p95: q(0.95), p99: q(0.99),
  seconds: (performance.now() - began) / 1000, firstRefusal, acceptedBeforeRefusal }));
`;
interface ClientResult {
  total: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  seconds: number;
  firstRefusal: number | null;
  acceptedBeforeRefusal: number;
}
/**
 * Runs the flood or the readers. The flood's own fetch loop shares this machine's cores with
 * the servers (in production it is someone else's machine), so the figures are pessimistic.
 */
async function client(args: Record<string, unknown>): Promise<ClientResult> {
  const argv = ['--input-type=module', '-e', clientScript, JSON.stringify(args)];
  const { stdout } = await run(process.execPath, argv, { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as ClientResult;
}

/** A fresh network (its own database) with these limits on the gateway and on both servers. */
async function scenario(name: string, limits: LimitsConfig) {
  const databaseUrl = await databases.url(`bench_flood_${name}`);
  const store = createStore({ databaseUrl, logger });
  await store.migrate();
  const realtime = await createRealtime({});
  const backend = createMemoryLimitBackend();
  const {
    gateway,
    servers: byId,
    stop,
  } = await startLocalFleet({
    db: store.db,
    realtime,
    logger,
    secret: SECRET,
    serverIds: ['server-1', 'server-2'],
    heartbeatMs: 1000,
    serverLimits: () => createLimits({ backend, config: limits, scope: 'server' }),
    gatewayLimits: createLimits({ backend, config: limits, scope: 'gateway' }),
  });
  const servers = [...byId.values()];
  // Each reader owns one running tank and reads it through the gateway (forwarded to its server).
  const readerTokens: string[] = [];
  const readerPaths: string[] = [];
  for (let i = 0; i < READERS; i++) {
    const token = await mintToken({ secret: SECRET, userId: `reader-${i}` });
    const res = await fetch(`${gateway.url}/api/tanks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `reader ${i}` }),
    });
    if (res.status !== 201) throw new Error(`reader tank: ${res.status} ${await res.text()}`);
    const { tank } = (await res.json()) as { tank: { tank_id: string } };
    readerTokens.push(token);
    readerPaths.push(`/api/tanks/${tank.tank_id}`);
  }
  // One flooder per flood, so the second does not start with an allowance the first spent.
  const flooders = {
    read: await mintToken({ secret: SECRET, userId: 'flooder-reads' }),
    create: await mintToken({ secret: SECRET, userId: 'flooder-creates' }),
  };
  const read = (seconds: number) =>
    client({
      url: gateway.url,
      token: readerTokens,
      seconds,
      concurrency: READERS,
      mode: 'read',
      paths: readerPaths,
      paceMs: READ_EVERY_MS,
    });
  const flood = (mode: 'create' | 'read') =>
    client({
      url: gateway.url,
      token: [flooders[mode]],
      seconds: SECONDS,
      concurrency: CONNECTIONS,
      mode,
      // The readers' tanks are public: the flooder may read them all.
      paths: mode === 'create' ? ['/api/tanks'] : readerPaths,
      paceMs: 0,
    });
  /** The share of one core this process (the gateway and both servers) used while `work` ran. */
  async function cpu<T>(work: Promise<T>): Promise<[T, number]> {
    const began = performance.now();
    const before = process.cpuUsage();
    const value = await work;
    const used = process.cpuUsage(before);
    return [value, ((used.user + used.system) / 1000 / (performance.now() - began)) * 100];
  }
  await read(2); // warm-up
  const [quiet, quietCpu] = await cpu(read(SECONDS));
  const results: Record<string, { flood: ClientResult; readers: ClientResult; cpu: number }> = {};
  for (const mode of ['read', 'create'] as const) {
    const [[floodResult, readers], used] = await cpu(Promise.all([flood(mode), read(SECONDS)]));
    results[mode] = { flood: floodResult, readers, cpu: used };
  }
  const tanks = servers.reduce((n, s) => n + s.host.size, 0);
  await stop();
  await realtime.close();
  await store.close();
  return { quiet, quietCpu, results, tanks };
}

const rows = [];
const notes: string[] = [];
const LABELS = { limits: 'defaults', nodelay: 'defaults, 429 at once', none: 'none' } as const;
for (const [name, limits] of [
  ['limits', defaults],
  ['nodelay', { ...defaults, refusalDelayMs: 0 }],
  ['none', NO_LIMITS],
] as const) {
  const { quiet, quietCpu, results, tanks } = await scenario(name, limits);
  rows.push({
    limits: LABELS[name],
    flood: 'no flood',
    'flood req/s before 1st 429': '',
    'flood req/s, all answers': '',
    'flood answers (status: count)': '',
    'readers p95 ms': Number(quiet.p95.toFixed(2)),
    'readers p99 ms': Number(quiet.p99.toFixed(2)),
    'p95 vs no flood': '',
    'network CPU %': Math.round(quietCpu),
  });
  for (const [mode, { flood, readers, cpu }] of Object.entries(results)) {
    const before =
      flood.firstRefusal === null
        ? `${Math.round(flood.total / flood.seconds)} (no 429)`
        : `${Math.round(flood.acceptedBeforeRefusal / (flood.firstRefusal / 1000))} for ${(flood.firstRefusal / 1000).toFixed(2)} s`;
    rows.push({
      limits: LABELS[name],
      flood:
        mode === 'create' ? `creates, ${CONNECTIONS} conns` : `reads of others' tanks, ${CONNECTIONS} conns`,
      'flood req/s before 1st 429': before,
      'flood req/s, all answers': Math.round(flood.total / flood.seconds),
      'flood answers (status: count)': Object.entries(flood.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', '),
      'readers p95 ms': Number(readers.p95.toFixed(2)),
      'readers p99 ms': Number(readers.p99.toFixed(2)),
      'p95 vs no flood': `${readers.p95 <= quiet.p95 ? '' : '+'}${(((readers.p95 - quiet.p95) / quiet.p95) * 100).toFixed(0)} %`,
      'network CPU %': Math.round(cpu),
    });
  }
  notes.push(`limits ${LABELS[name]}: ${tanks} tanks running at the end`);
}

recordBenchmark({
  name: 'flood',
  rows,
  notes: [
    `one user floods for ${SECONDS} s over ${CONNECTIONS} keep-alive connections, while ${READERS} other users each read their own tank (GET /api/tanks/{id}, forwarded to its server) every ${READ_EVERY_MS} ms; readers p95 over ${SECONDS} s with and without the flood`,
    `default limits: ${defaults.requestsPerUser} requests (at most ${defaults.requestsPerUserPerSecond} in any second) and ${defaults.createsPerUser} creates (at most ${defaults.createsPerUserPerSecond} in any second) per user per ${defaults.windowSeconds} s, ${defaults.tanksPerOwner} tanks per owner, refusals answered after ${defaults.refusalDelayMs} ms (per-address limits off: every client is 127.0.0.1 here)`,
    'network CPU %: what the process of the gateway and both servers used during the phase, in % of one core (the flood and readers are other processes)',
    ...notes,
    `load average when done (other work shares these 2 cores): ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}`,
    'goal: readers p95 during a flood within 20 % of no flood',
  ],
});
await databases.stop();
