/**
 * @module
 * Cross-server fish transfers: latency of a whole two-phase commit (log, prepare both sides,
 * commit both sides, each participant step over signed HTTP, each durable step written before
 * it answers) one at a time and 16 at once. Two tank servers and the coordinator run in this
 * process (as in `npm start`); the gateway's own HTTP hop is not counted. PostgreSQL is
 * DATABASE_URL or a throwaway one. Run: `npm run bench transfer` (TRANSFER_BENCH_N per scenario).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createInternalVerifier, createTokenVerifier, mintToken } from '../src/auth/index.ts';
import { createCoordinator, createParticipants } from '../src/coordinator/index.ts';
import { createLocalDiscovery, createLocalRegistry } from '../src/discovery/index.ts';
import { createNodeFetch } from '../src/http/index.ts';
import { resolveBinaries, startPostgres } from '../src/mesh/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createTankServer, type TankServer } from '../src/server/index.ts';
import { createServerClient } from '../src/server-client/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { recordBenchmark } from './support/index.ts';

const N = Number(process.env.TRANSFER_BENCH_N ?? 400);
const SECRET = 'bench-transfer-secret-0123456789';
const PAIRS = 16;

const pg = process.env.DATABASE_URL
  ? undefined
  : await startPostgres({ binDir: resolveBinaries({ env: process.env }).postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase('bench_transfer'));
const logger = createLogger({ level: 'warn' });
const store = createStore({ databaseUrl, logger });
await store.migrate();
const realtime = await createRealtime({});
const registry = createLocalRegistry();
const servers = new Map<string, TankServer>();
for (const id of ['server-1', 'server-2']) {
  const server = createTankServer({
    serverId: id,
    db: store.db,
    discovery: createLocalDiscovery({ registry, logger }),
    realtime,
    verifier: createTokenVerifier({ secret: SECRET }),
    internalVerifier: createInternalVerifier({ secret: SECRET }),
    logger,
    heartbeatMs: 60_000,
  });
  await server.start();
  servers.set(id, server);
}
// The gateway's client: node:http with kept connections (see src/http/node-fetch.ts).
const serverFetch = createNodeFetch();
const client = createServerClient({
  secret: SECRET,
  resolveServer: (id) => (servers.has(id) ? { baseUrl: servers.get(id)!.url } : undefined),
  fetch: serverFetch,
});
const coordinator = createCoordinator({
  db: store.db,
  participants: createParticipants({ client }),
  realtime,
  logger,
  crash: () => {},
});
const token = await mintToken({ secret: SECRET, userId: 'bench' });

async function tank(serverId: string, seed: number): Promise<string> {
  const s = servers.get(serverId)!;
  const res = await fetch(`${s.url}/api/tanks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench-${seed}`, seed, initial_fish: 20 }),
  });
  const id = ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
  s.host.get(id)!.pause();
  return id;
}

const pairs: Array<{ a: string; b: string }> = [];
for (let i = 0; i < PAIRS; i++)
  pairs.push({ a: await tank('server-1', i), b: await tank('server-2', 100 + i) });

/** One transfer of the first fish of whichever side of the pair holds more; returns ms. */
async function once({ a, b }: { a: string; b: string }): Promise<number> {
  const ta = servers.get('server-1')!.host.get(a)!;
  const tb = servers.get('server-2')!.host.get(b)!;
  const [from, to, fromServer, toServer] =
    ta.world.fish.count >= tb.world.fish.count
      ? [ta, tb, 'server-1', 'server-2']
      : [tb, ta, 'server-2', 'server-1'];
  const began = performance.now();
  const answer = await coordinator.submit({
    requestedBy: 'bench',
    request: {
      source_tank_id: from.id,
      dest_tank_id: to.id,
      entity_id: from.world.fish.id[0]!,
      entity_type: 'fish',
    },
    key: undefined,
    sourceServer: fromServer,
    destServer: toServer,
  });
  const ms = performance.now() - began;
  if (answer.status !== 200) throw new Error(`transfer failed: ${JSON.stringify(answer.body)}`);
  return ms;
}

/** CPU ms used by every process on the machine (PostgreSQL included), from /proc/stat; 0 elsewhere. */
function machineCpuMs(): number {
  if (!existsSync('/proc/stat')) return 0;
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // USER_HZ is 100 on Linux: one tick is 10 ms.
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
}

function summary(name: string, samples: number[], seconds: number, cpu: NodeJS.CpuUsage, machineMs: number) {
  const sorted = [...samples].sort((x, y) => x - y);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return {
    scenario: name,
    transfers: samples.length,
    'p50 ms': Number(q(0.5).toFixed(2)),
    'p95 ms': Number(q(0.95).toFixed(2)),
    'p99 ms': Number(q(0.99).toFixed(2)),
    'transfers/s': Math.round(samples.length / seconds),
    // What a transfer costs the one process running both servers and the coordinator: on a
    // shared machine latency follows the neighbours, this does not.
    'CPU ms/transfer': Number(((cpu.user + cpu.system) / 1000 / samples.length).toFixed(2)),
    'machine CPU ms/transfer': Number((machineMs / samples.length).toFixed(2)),
  };
}

for (let i = 0; i < 50; i++) await once(pairs[i % PAIRS]!); // warm-up
const serial: number[] = [];
let began = performance.now();
let cpu = process.cpuUsage();
let machine = machineCpuMs();
for (let i = 0; i < N; i++) serial.push(await once(pairs[0]!));
const serialSeconds = (performance.now() - began) / 1000;
const serialCpu = process.cpuUsage(cpu);
const serialMachine = machineCpuMs() - machine;

const parallel: number[] = [];
began = performance.now();
cpu = process.cpuUsage();
machine = machineCpuMs();
await Promise.all(
  pairs.map(async (pair) => {
    for (let i = 0; i < Math.ceil(N / PAIRS); i++) parallel.push(await once(pair));
  }),
);
const parallelSeconds = (performance.now() - began) / 1000;
const parallelCpu = process.cpuUsage(cpu);
const parallelMachine = machineCpuMs() - machine;

recordBenchmark({
  name: 'transfer',
  rows: [
    summary('one at a time', serial, serialSeconds, serialCpu, serialMachine),
    summary('16 at once', parallel, parallelSeconds, parallelCpu, parallelMachine),
  ],
  notes: [
    'a whole cross-server 2PC per transfer, 7 durable writes: log initiated, prepare-source (fish held out; its reservation fenced on the tank location), prepare-dest (room held), log prepared with the payload, commit-dest (fish in; reservation settled `arrived`, fenced), commit-source (settled `departed`), log committed. No step writes a whole tank snapshot: settled reservations are the tank journal until the snapshotter covers them',
    'concurrent transfers share the work: steps bound for one server go in one signed call (POST /internal/transfers/steps), and each kind of write is one multi-row statement for all the transfers at that step (coordinator log, reservations); one at a time has nothing to share',
    'participants over signed loopback HTTP (node:http, kept connections, as the gateway calls them); two tank servers and the coordinator in one process; gateway HTTP hop not counted',
    'CPU ms/transfer: user + system CPU of this one process per transfer; machine CPU ms/transfer: every process on the machine (PostgreSQL included, and any neighbour)',
    'target p95 < 20 ms (the seed asks < 1 s)',
  ],
});

serverFetch.close();
for (const s of servers.values()) await s.stop();
await realtime.close();
await store.close();
await pg?.stop();
