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
 * TUBES_BENCH_PAIRS, TUBES_BENCH_WINDOW_S; TUBES_BENCH_PARTS=placement or cross runs one part).
 */
import { mintToken } from '../src/auth/index.ts';
import { defaultPlacement, type PlacementStrategy } from '../src/gateway/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { benchDatabases } from './support/databases.ts';
import { quantile, type Row, recordBenchmark } from './support/index.ts';
import { startLocalFleet } from './support/local-fleet.ts';
import { type MigrationTally, watchTubes } from './support/tube-watch.ts';

const GROUPS = Number(process.env.TUBES_BENCH_GROUPS ?? 12);
const GROUP_SIZE = Number(process.env.TUBES_BENCH_GROUP_SIZE ?? 4);
const FISH = Number(process.env.TUBES_BENCH_FISH ?? 30);
const PAIRS = Number(process.env.TUBES_BENCH_PAIRS ?? 6);
const WINDOW_S = Number(process.env.TUBES_BENCH_WINDOW_S ?? 20);
/** Which parts to run: `placement`, `cross`, or both (the default). */
const PARTS = new Set((process.env.TUBES_BENCH_PARTS ?? 'placement,cross').split(','));
const SECRET = 'bench-tubes-secret-0123456789';
const SERVER_IDS = ['server-1', 'server-2', 'server-3'];

const databases = await benchDatabases();
const databaseUrl = await databases.url(`bench_tubes_${Date.now()}`);
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

/**
 * Groups grown in a shuffled order (seeded): each step adds the next member of a random group,
 * connected to the member before; as tanks arrive in a network whose users create them when
 * they like, not group by group.
 */
async function groupsScenario(name: string, placement: PlacementStrategy): Promise<Row> {
  const fleet = await fleetWith(placement);
  const groups: Created[][] = Array.from({ length: GROUPS }, () => []);
  const order = Array.from({ length: GROUPS * GROUP_SIZE }, (_, i) => i % GROUPS);
  let seed = 22;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let tubes = 0;
  let localTubes = 0;
  for (const g of order) {
    const group = groups[g]!;
    const previous = group[group.length - 1];
    const created = await fleet.create({
      name: `g${g}-m${group.length}`,
      seed: g * 100 + group.length,
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
    'in-server p50 / p95 ms': `${ms(tally.localMs, 0.5)} / ${ms(tally.localMs, 0.95)}`,
    'cross-server p95 ms': ms(tally.remoteMs, 0.95),
  };
}

/**
 * Pairs of tanks on different servers, joined both ways at the top rate, each stocked with fish
 * of full wanderlust (`POST …/fish` with a genome): the cross-server path under sustained use.
 */
async function crossServerScenario(): Promise<Row> {
  const fleet = await fleetWith(defaultPlacement());
  for (let p = 0; p < PAIRS; p++) {
    const pair: Created[] = [];
    for (const [side, offset] of [
      ['a', 0],
      ['b', 1],
    ] as const) {
      const created = await fleet.create({
        name: `pair${p}-${side}`,
        seed: p * 2 + offset,
        server_id: SERVER_IDS[(p + offset) % SERVER_IDS.length],
        initial_fish: 0,
      });
      for (let f = 0; f < FISH; f++)
        await fleet.api('POST', `/api/tanks/${created.tank.tank_id}/fish`, { genome: { wanderlust: 1 } });
      pair.push(created);
    }
    await fleet.api('POST', `/api/tanks/${pair[0]!.tank.tank_id}/connections`, {
      to_tank_id: pair[1]!.tank.tank_id,
      direction: 'both',
      rate_per_minute: 600,
    });
  }
  const tally = await measure();
  await fleet.stop();
  return {
    scenario: `${PAIRS} cross-server pairs, ${FISH} fish of wanderlust 1 each, two-way tubes at 600/min`,
    'cross-server migrations': tally.remote,
    'migrations/s': (tally.remote / tally.seconds).toFixed(1),
    aborted: tally.aborted,
    'p50 ms': ms(tally.remoteMs, 0.5),
    'p95 ms': ms(tally.remoteMs, 0.95),
    'max ms': ms(tally.remoteMs, 1),
  };
}

const placementRows = PARTS.has('placement')
  ? [
      await groupsScenario('follows tubes (default)', defaultPlacement()),
      await groupsScenario('tube-blind', defaultPlacement({}, false)),
    ]
  : [];
const crossRows = PARTS.has('cross') ? [await crossServerScenario()] : [];
await store.close();
await realtime.close();
await databases.stop();

if (placementRows.length > 0)
  recordBenchmark({
    name: 'tubes: migrations that stay in one server, with and without tube-aware placement',
    rows: placementRows,
    notes: [
      `${GROUPS} groups × ${GROUP_SIZE} tanks created through POST /api/tanks in a shuffled order (seeded), each member with connect_to the one before (a two-way tube at 60/min); ${FISH} fish per tank; 3 servers and a gateway in one process, PostgreSQL, in-memory real-time state; migrations counted from the network's migration events over ${WINDOW_S} s`,
      "cross-server p95: one move's two-phase commit, transfer_step initiated → committed (the fish held out of both worlds meanwhile); in-server: a move inside one server, one journalled transaction, from the mover's decision to the fish landed (the migration event's took_ms)",
    ],
  });
if (crossRows.length > 0)
  recordBenchmark({
    name: 'tubes: sustained migrations across servers',
    rows: crossRows,
    notes: [
      `${WINDOW_S} s window after 3 s of settling; migrations counted from the migration events with local = false; latency: transfer_step initiated → committed per transfer id; aborted: moves that went back (full destination, timeout)`,
    ],
  });
process.exit(0);
