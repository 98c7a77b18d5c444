/**
 * @module
 * Live moves and drains, as their viewers see them: the gap (last frame from the old server →
 * first from the new one) p50/p95/max and the frames skipped beyond it, over ≥ 20 moves through
 * `POST /api/tanks/{id}/move`, over a drain of one server, and over a rolling restart of all
 * three servers (each drains, stops and starts again) with many viewers connected: how many are
 * still connected at the end and the longest gap any saw. A gateway and three tank servers run
 * in this process on PostgreSQL (DATABASE_URL or a throwaway one); the viewers run in a child
 * process (`support/viewer-gaps-child.ts`). Run: `npm run bench moves` (MOVES_BENCH_VIEWERS,
 * MOVES_BENCH_TANKS, MOVES_BENCH_MOVES).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../src/auth/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { benchDatabases } from './support/databases.ts';
import { type Row, recordBenchmark } from './support/index.ts';
import { startLocalFleet } from './support/local-fleet.ts';
import { type FollowOptions, type GapReport, quantile } from './support/viewer-gaps.ts';

const VIEWERS = Number(process.env.MOVES_BENCH_VIEWERS ?? 1000);
const TANKS = Number(process.env.MOVES_BENCH_TANKS ?? 30);
const MOVES = Number(process.env.MOVES_BENCH_MOVES ?? 24);
/** Viewers while single moves and the drain are measured (few, so the gap is the move's own). */
const LIGHT_VIEWERS = 60;
const SECRET = 'bench-moves-secret-0123456789';
const SERVER_IDS = ['server-1', 'server-2', 'server-3'];

const databases = await benchDatabases();
const databaseUrl = await databases.url(`bench_moves_${Date.now()}`);
const logger = createLogger({ level: 'warn' });
const store = createStore({ databaseUrl, logger });
await store.migrate();
const realtime = await createRealtime({});
const { gateway, servers, startServer, stop } = await startLocalFleet({
  db: store.db,
  realtime,
  logger,
  secret: SECRET,
  serverIds: SERVER_IDS,
  heartbeatMs: 500,
});
const token = await mintToken({ secret: SECRET, userId: 'bench', ttlSeconds: 3600 });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Lookup {
  tank: { tank_id: string; server_id: string };
  websocket_url: string;
}
const tanks: Lookup[] = [];
for (let i = 0; i < TANKS; i++)
  tanks.push(await api<Lookup>('POST', '/api/tanks', { name: `move-${i}`, seed: i }));

/** The viewers' child process, driven by request and answer over IPC. */
function viewerProcess(): { ask<T>(message: object, answer: string): Promise<T>; child: ChildProcess } {
  const child = fork(fileURLToPath(new URL('./support/viewer-gaps-child.ts', import.meta.url)), [], {
    stdio: 'inherit',
  });
  return {
    child,
    ask<T>(message: object, answer: string) {
      return new Promise<T>((resolve) => {
        const on = (m: { type: string } & T) => {
          if (m.type !== answer) return;
          child.off('message', on);
          resolve(m);
        };
        child.on('message', on);
        child.send(message);
      });
    },
  };
}

async function openViewers(viewers: number, over: Lookup[]) {
  const proc = viewerProcess();
  const options: FollowOptions = {
    gatewayUrl: gateway.url,
    token,
    tanks: over.map((t) => ({ tankId: t.tank.tank_id, websocketUrl: t.websocket_url })),
    viewers,
  };
  await proc.ask({ cmd: 'open', options }, 'ready');
  return {
    reset: () => proc.ask({ cmd: 'reset' }, 'reset'),
    report: async () => (await proc.ask<{ report: GapReport }>({ cmd: 'report' }, 'report')).report,
    close: () => proc.child.send({ cmd: 'close' }),
  };
}

/** Waits until every follow the viewers owe has happened (each viewer of a moved tank once). */
async function settle(viewers: Awaited<ReturnType<typeof openViewers>>, follows: number): Promise<GapReport> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const report = await viewers.report();
    if (report.gaps.length >= follows || performance.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const where = async (id: string) => (await api<Lookup>('GET', `/gateway/tanks/${id}`)).tank.server_id;
function row(scenario: string, r: GapReport, extra: Partial<Row> = {}): Row {
  return {
    scenario,
    follows: r.gaps.length,
    'gap p50 ms': Math.round(quantile(r.gaps, 0.5)),
    'gap p95 ms': Math.round(quantile(r.gaps, 0.95)),
    'gap max ms': Math.round(quantile(r.gaps, 1)),
    'frames skipped': r.skipped,
    rewinds: r.rewinds,
    'by lookup': r.lookedUp,
    connected: r.connected,
    ...extra,
  };
}

// 1. Single live moves through the API, a few viewers on each moved tank.
const moved = tanks.slice(0, 6);
let viewers = await openViewers(LIGHT_VIEWERS, moved);
await viewers.reset();
for (let i = 0; i < MOVES; i++) await api('POST', `/api/tanks/${moved[i % moved.length]!.tank.tank_id}/move`);
const perTank = LIGHT_VIEWERS / moved.length;
const single = await settle(viewers, MOVES * perTank);
viewers.close();

// 2. A drain of one server, the viewers spread over every tank.
const current = await Promise.all(tanks.map(async (t) => ({ ...t, on: await where(t.tank.tank_id) })));
viewers = await openViewers(LIGHT_VIEWERS, current);
await viewers.reset();
const drained = current.filter((t) => t.on === 'server-1').length;
const drainStarted = performance.now();
const drainResult = await servers.get('server-1')!.drain({ timeoutMs: 20_000 });
const drainMs = performance.now() - drainStarted;
const owed = current.reduce(
  (n, t, i) => n + (t.on === 'server-1' ? Math.ceil((LIGHT_VIEWERS - i) / current.length) : 0),
  0,
);
const drain = await settle(viewers, owed);
viewers.close();
await servers.get('server-1')!.stop();
await startServer('server-1');
await new Promise((r) => setTimeout(r, 1500));

// 3. A rolling restart of all three servers with many viewers.
const latest = await Promise.all(
  tanks.map(async (t) => api<Lookup>('GET', `/gateway/tanks/${t.tank.tank_id}`)),
);
viewers = await openViewers(VIEWERS, latest);
await viewers.reset();
const rollStarted = performance.now();
for (const id of SERVER_IDS) {
  await servers.get(id)!.drain({ timeoutMs: 20_000 });
  await servers.get(id)!.stop();
  await startServer(id);
  // The restarted server is passing again before the next one drains onto it.
  await new Promise((r) => setTimeout(r, 1500));
}
const rollMs = performance.now() - rollStarted;
await new Promise((r) => setTimeout(r, 2000));
const rolling = await viewers.report();
viewers.close();

recordBenchmark({
  name: 'moves',
  rows: [
    row(`${MOVES} live moves (POST /api/tanks/{id}/move), ${perTank} viewers per tank`, single),
    row(
      `drain of 1 server (${drained} tanks, ${drainResult.moved.length} moved, ${Math.round(drainMs)} ms)`,
      drain,
    ),
    row(
      `rolling restart of 3 servers, ${VIEWERS} viewers over ${TANKS} tanks (${Math.round(rollMs / 1000)} s)`,
      rolling,
    ),
  ],
  notes: [
    'gap: last frame a viewer got from the old server → first frame (a keyframe) from the new one; the viewer follows the `moved` message (close 4307) with no lookup, as web/src/viewer.ts does',
    '"frames skipped": frames the tank advanced beyond what the gap explains at 30 ticks/s plus one broadcast interval, summed (goal 0); "rewinds": a first new frame older than the last old one (goal 0); "by lookup": follows after a close that was not a move',
    `"connected": viewers with an open socket at the end, of ${LIGHT_VIEWERS} / ${LIGHT_VIEWERS} / ${VIEWERS}; goal: viewer gap < 500 ms p95`,
    'gateway and 3 tank servers in one process on PostgreSQL, viewers in a child process; 2 shared cores, other work running',
  ],
});

await stop();
await realtime.close();
await store.close();
await databases.stop();
process.exit(0);
