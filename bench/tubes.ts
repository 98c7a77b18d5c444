/**
 * @module
 * Tubes across the network: (1) the share of migrations that stay inside one server process
 * with tube-aware placement (`followTubes`) versus without (`defaultPlacement({}, false)`),
 * for groups of tanks created with `connect_to` (each joined to the one before); (2) sustained
 * migrations per second across servers and the latency of one cross-server migration (its
 * two-phase commit, `initiated` → `committed`: the fish is held out of both worlds meanwhile),
 * p50/p95, over pairs of tanks on different servers joined by two-way tubes at the top rate. A gateway and
 * three tank servers run in this process on PostgreSQL (DATABASE_URL or a throwaway one).
 * Run: `npm run bench tubes` (TUBES_BENCH_GROUPS, TUBES_BENCH_GROUP_SIZE, TUBES_BENCH_FISH,
 * TUBES_BENCH_PAIRS, TUBES_BENCH_WINDOW_S).
 */
import { mintToken } from '../src/auth/index.ts';
import { defaultPlacement, type PlacementStrategy } from '../src/gateway/index.ts';
import { resolveBinaries, startPostgres } from '../src/mesh/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { quantile, type Row, recordBenchmark } from './support/index.ts';
import { startLocalFleet } from './support/local-fleet.ts';
import { type MigrationTally, watchTubes } from './support/tube-watch.ts';

const GROUPS = Number(process.env.TUBES_BENCH_GROUPS ?? 12);
const GROUP_SIZE = Number(process.env.TUBES_BENCH_GROUP_SIZE ?? 4);
const FISH = Number(process.env.TUBES_BENCH_FISH ?? 20);
const PAIRS = Number(process.env.TUBES_BENCH_PAIRS ?? 6);
const WINDOW_S = Number(process.env.TUBES_BENCH_WINDOW_S ?? 20);
const SECRET = 'bench-tubes-secret-0123456789';
const SERVER_IDS = ['server-1', 'server-2', 'server-3'];

const pg = process.env.DATABASE_URL
  ? undefined
  : await startPostgres({ binDir: resolveBinaries({ env: process.env }).postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase(`bench_tubes_${Date.now()}`));
const logger = createLogger({ level: 'warn' });
const store = createStore({ databaseUrl, logger });
await store.migrate();
const realtime = await createRealtime({});
const token = await mintToken({ secret: SECRET, userId: 'bench', ttlSeconds: 3600 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Created {
  tank: { tank_id: string; server_id: string };
  websocket_url: string;
}

/** A fleet with `placement`, the calls the bench makes through its gateway, and its stop. */
async function fleetWith(placement: PlacementStrategy) {
  const fleet = await startLocalFleet({
    db: store.db,
    realtime,
    logger,
    secret: SECRET,
    serverIds: SERVER_IDS,
    heartbeatMs: 500,
    placement,
  });
  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${fleet.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const made: Created[] = [];
  return {
    api,
    made,
    async create(body: Record<string, unknown>): Promise<Created> {
      const created = await api<Created>('POST', '/api/tanks', { initial_fish: FISH, ...body });
      made.push(created);
      return created;
    },
    /** Deletes what it made (the next fleet starts on an empty network) and stops. */
    async stop() {
      for (const t of made) await api('DELETE', `/api/tanks/${t.tank.tank_id}`);
      await fleet.stop();
    },
  };
}

/** Watches `tanks` for one window and returns what went through their tubes. */
async function measure(): Promise<MigrationTally & { seconds: number }> {
  const watch = await watchTubes({ realtime });
  // The servers read new tubes at once (connection_changed) or at their next refresh: settle first.
  await sleep(3000);
  watch.reset();
  const started = performance.now();
  await sleep(WINDOW_S * 1000);
  const tally = { ...watch.tally(), seconds: (performance.now() - started) / 1000 };
  await watch.close();
  return tally;
}

const share = (part: number, all: number) => (all === 0 ? '–' : `${((100 * part) / all).toFixed(1)} %`);
const ms = (values: number[], q: number) => (values.length === 0 ? '–' : Math.round(quantile(values, q)));

/** Groups created one member of each at a time, each member connected to the one before. */
async function groupsScenario(name: string, placement: PlacementStrategy): Promise<Row> {
  const fleet = await fleetWith(placement);
  const groups: Created[][] = Array.from({ length: GROUPS }, () => []);
  let tubes = 0;
  let localTubes = 0;
  for (let member = 0; member < GROUP_SIZE; member++)
    for (const [g, group] of groups.entries()) {
      const previous = group[member - 1];
      const created = await fleet.create({
        name: `g${g}-m${member}`,
        seed: g * 100 + member,
        ...(previous && { connect_to: previous.tank.tank_id }),
      });
      if (previous) {
        tubes++;
        if (created.tank.server_id === previous.tank.server_id) localTubes++;
      }
      group.push(created);
    }
  const counts = SERVER_IDS.map((id) => fleet.made.filter((t) => t.tank.server_id === id).length);
  const tally = await measure();
  await fleet.stop();
  return {
    placement: name,
    tanks: fleet.made.length,
    'tanks per server': counts.join(' / '),
    'tubes in one server': share(localTubes, tubes),
    migrations: tally.local + tally.remote,
    'migrations in one server': share(tally.local, tally.local + tally.remote),
    'cross-server p95 ms': ms(tally.remoteMs, 0.95),
  };
}

/** Pairs of tanks on different servers, joined both ways at the top rate: the cross-server path. */
async function crossServerScenario(): Promise<Row> {
  const fleet = await fleetWith(defaultPlacement());
  for (let p = 0; p < PAIRS; p++) {
    const a = await fleet.create({ name: `pair${p}-a`, seed: p, server_id: SERVER_IDS[p % 3] });
    const b = await fleet.create({ name: `pair${p}-b`, seed: p + 50, server_id: SERVER_IDS[(p + 1) % 3] });
    await fleet.api('POST', `/api/tanks/${a.tank.tank_id}/connections`, {
      to_tank_id: b.tank.tank_id,
      direction: 'both',
      rate_per_minute: 600,
    });
  }
  const tally = await measure();
  await fleet.stop();
  return {
    scenario: `${PAIRS} cross-server pairs, ${FISH} fish each, two-way tubes at 600/min`,
    'cross-server migrations': tally.remote,
    'migrations/s': (tally.remote / tally.seconds).toFixed(1),
    aborted: tally.aborted,
    'p50 ms': ms(tally.remoteMs, 0.5),
    'p95 ms': ms(tally.remoteMs, 0.95),
    'max ms': ms(tally.remoteMs, 1),
  };
}

const placementRows = [
  await groupsScenario('follows tubes (default)', defaultPlacement()),
  await groupsScenario('tube-blind', defaultPlacement({}, false)),
];
const crossRows = [await crossServerScenario()];
await store.close();
await realtime.close();
await pg?.stop();

recordBenchmark({
  name: 'tubes: migrations that stay in one server, with and without tube-aware placement',
  rows: placementRows,
  notes: [
    `${GROUPS} groups × ${GROUP_SIZE} tanks created through POST /api/tanks, one member of each group at a time, each member with connect_to the one before (a two-way tube at 60/min); ${FISH} fish per tank; 3 servers and a gateway in one process, PostgreSQL, in-memory real-time state; migrations counted from the network's migration events over ${WINDOW_S} s`,
    "cross-server p95: one move's two-phase commit, transfer_step initiated → committed (the fish held out of both worlds meanwhile); a move inside one server is one journalled transaction",
  ],
});
recordBenchmark({
  name: 'tubes: sustained migrations across servers',
  rows: crossRows,
  notes: [
    `${WINDOW_S} s window after 3 s of settling; migrations counted from the migration events with local = false; latency: transfer_step initiated → committed per transfer id; aborted: moves that went back (full destination, timeout)`,
  ],
});
process.exit(0);
