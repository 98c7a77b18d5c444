/**
 * @module
 * Fault tests with real `tankworld server` processes on the harness PostgreSQL. SIGKILL: the
 * restarted server resumes each tank from its newest snapshot, which is at most one snapshot
 * interval behind the moment of the kill. SIGTERM: the final snapshots hold exactly the world
 * at shutdown, and the restarted server continues from it. "Resumes from" is checked by
 * determinism: the snapshot, restored and stepped here to the frame the server reports, must
 * give the very entities the server shows.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { WsClose } from '../../src/server/index.ts';
import { type EntityView, listEntities, serialize, step, type World } from '../../src/sim/index.ts';
import { createStore, latestSnapshot, type TankSnapshot } from '../../src/store/index.ts';
import { decodeTankSnapshot } from '../../src/tank/index.ts';
import {
  type Cleanup,
  createCleanup,
  freePort,
  type ProgramHandle,
  startProgram,
  type TestDatabase,
  useDatabase,
  waitFor,
} from '../support/index.ts';
import { SECRET } from './fixture.ts';
import { openViewer } from './viewer.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SNAPSHOT_INTERVAL_MS = 1000;
const TICK_HZ = 30;
/** Frames one snapshot interval spans, and half an interval of slack for a batch's own time. */
const INTERVAL_FRAMES = (SNAPSHOT_INTERVAL_MS / 1000) * TICK_HZ;
const SLACK_FRAMES = INTERVAL_FRAMES / 2;

interface Rig {
  server: ProgramHandle;
  url: string;
  token: string;
  db: ReturnType<typeof createStore>['db'];
  call<T>(method: string, route: string, status: number, body?: unknown): Promise<T>;
}

async function startRig(cleanup: Cleanup, serverId: string): Promise<Rig> {
  const database: TestDatabase = await useDatabase({ cleanup });
  const store = cleanup.add(createStore({ databaseUrl: database.url, poolSize: 2 }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startProgram({
    name: `tank-server-${serverId}`,
    command: process.execPath,
    args: [path.join(ROOT, 'src/cli.ts'), 'server', '--port', String(port), '--server-id', serverId],
    cwd: ROOT,
    env: {
      DATABASE_URL: database.url,
      // The harness exports the shared Redis to workers; these servers keep their state in-process.
      REDIS_URL: '',
      DISCOVERY: 'local',
      JWT_SECRET: SECRET,
      INTERNAL_SECRET: SECRET,
      SNAPSHOT_INTERVAL_MS: String(SNAPSHOT_INTERVAL_MS),
      TICK_HZ: String(TICK_HZ),
      LOG_LEVEL: 'info',
    },
    ready: async () =>
      ((await (await fetch(`${url}/health`)).json()) as { server_id: string }).server_id === serverId,
    cleanup,
  });
  const token = await mintToken({ secret: SECRET, userId: 'alice' });
  async function call<T>(method: string, route: string, status: number, body?: unknown): Promise<T> {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${method} ${route}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  return { server, url, token, db: store.db, call };
}

/** Two tanks with fish added from outside the tick, as users leave them. */
async function populate(rig: Rig): Promise<{ ids: string[]; spawned: string[] }> {
  const ids: string[] = [];
  const spawned: string[] = [];
  for (const [i, seed] of [21, 22].entries()) {
    const created = await rig.call<{ tank: { tank_id: string } }>('POST', '/api/tanks', 201, {
      name: `Fault ${i}`,
      seed,
      initial_fish: 8,
    });
    const id = created.tank.tank_id;
    ids.push(id);
    const fish = await rig.call<{ uid: string }>('POST', `/api/tanks/${id}/fish`, 201, {
      genome: { speed: 1.3, aggression: 0.9 },
    });
    spawned.push(fish.uid);
    await rig.call('POST', `/api/tanks/${id}/food`, 201, { count: 10 });
  }
  return { ids, spawned };
}

/** Waits until every tank has a periodic snapshot past `frame`; returns the newest of each. */
async function periodicSnapshots(rig: Rig, ids: string[], frame: number): Promise<TankSnapshot[]> {
  return waitFor(
    async () => {
      const latest = await Promise.all(ids.map((id) => latestSnapshot(rig.db, id)));
      return latest.every((s) => s && s.frame > frame) ? (latest as TankSnapshot[]) : undefined;
    },
    { what: `a periodic snapshot past frame ${frame} of every tank`, timeout: 20_000, interval: 100 },
  );
}

/** As the server rounds; `|| 0` because JSON turns a -0 into 0. */
const round = (n: number) => Math.round(n * 100) / 100 || 0;

/** What `GET /entities` shows for an entity (positions and velocities to 0.01 px). */
function shown(e: EntityView): Record<string, unknown> {
  const { x, y, vx, vy, ...rest } = e as EntityView & { vx?: number; vy?: number };
  return {
    ...rest,
    x: round(x),
    y: round(y),
    ...(vx === undefined ? {} : { vx: round(vx), vy: round(vy ?? 0) }),
  };
}

function stepTo(world: World, frame: number): World {
  if (frame < world.frame)
    throw new Error(`the server shows frame ${frame}, before the snapshot's ${world.frame}`);
  while (world.frame < frame) step(world);
  return world;
}

/** Asserts that the server's tank is `snapshot`'s world carried forward, and returns its fish uids. */
async function expectContinuesFrom(rig: Rig, id: string, snapshot: TankSnapshot): Promise<string[]> {
  const live = await rig.call<{ frame: number; entities: Array<{ kind: string; uid?: string }> }>(
    'GET',
    `/api/tanks/${id}/entities`,
    200,
  );
  const world = stepTo(decodeTankSnapshot(snapshot.state).world, live.frame);
  expect(live.entities).toEqual(listEntities(world).map(shown));
  return live.entities.filter((e) => e.kind === 'fish').map((e) => e.uid as string);
}

async function frameOf(rig: Rig, id: string): Promise<number> {
  return (await rig.call<{ frame: number }>('GET', `/api/tanks/${id}`, 200)).frame;
}

async function logRecords(server: ProgramHandle): Promise<Array<Record<string, unknown>>> {
  const lines = (await readFile(server.logFile, 'utf8')).split('\n');
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('tank server processes under faults', () => {
  it('should resume every tank from its newest snapshot after SIGKILL, at most one interval behind', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const rig = await startRig(cleanup, 'fault-kill');
    const { ids, spawned } = await populate(rig);
    // Two periodic batches after the spawns, so the tanks are well into their run.
    const first = await periodicSnapshots(rig, ids, 0);
    const second = await periodicSnapshots(rig, ids, Math.max(...first.map((s) => s.frame)));
    // Let two more intervals pass, so the kill does not land right after a batch we waited for:
    // only snapshots the server keeps taking on its own can bring the loss under the bound.
    for (const [i, id] of ids.entries()) {
      await waitFor(async () => (await frameOf(rig, id)) >= second[i]!.frame + 2 * INTERVAL_FRAMES, {
        what: 'two snapshot intervals of ticks',
        timeout: 20_000,
      });
    }

    const before = await Promise.all(ids.map((id) => frameOf(rig, id)));
    await rig.server.kill('SIGKILL');
    expect(rig.server.running).toBe(false);

    const last = await Promise.all(ids.map(async (id) => (await latestSnapshot(rig.db, id))!));
    for (const [i, snapshot] of last.entries()) {
      // Lost: the frames between the newest snapshot and the kill (later than `before`).
      expect(before[i]! - snapshot.frame).toBeLessThanOrEqual(INTERVAL_FRAMES + SLACK_FRAMES);
      const { fish } = decodeTankSnapshot(snapshot.state).world;
      expect([...fish.uid.slice(0, fish.count)]).toContain(spawned[i]);
    }

    await rig.server.restart();
    const listed = await rig.call<{ tanks: Array<{ tank: { tank_id: string } }> }>('GET', '/api/tanks', 200);
    expect(listed.tanks.map((s) => s.tank.tank_id).sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) {
      const uids = await expectContinuesFrom(rig, id, last[i]!);
      expect(uids).toContain(spawned[i]);
    }
  });

  it('should write final snapshots of the world as it was at SIGTERM, and continue from them on restart', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const rig = await startRig(cleanup, 'fault-term');
    const { ids, spawned } = await populate(rig);
    // A base snapshot after every change from outside the tick: from here on only ticks move the worlds.
    const base = await periodicSnapshots(rig, ids, 0);
    const viewer = openViewer(`${rig.url.replace('http', 'ws')}/ws/${ids[0]}?token=${rig.token}`);
    cleanup.add(() => viewer.ws.terminate());
    await waitFor(() => viewer.frames.length >= 2, { what: 'frames to a viewer' });

    const before = await Promise.all(ids.map((id) => frameOf(rig, id)));
    // The harness signals the process group and the leader: the server gets SIGTERM twice, as
    // from a supervisor that repeats it, and must still finish its graceful stop.
    await rig.server.kill('SIGTERM');
    await waitFor(() => !rig.server.running, { what: 'the server to exit after SIGTERM', timeout: 20_000 });
    expect((await viewer.closed).code).toBe(WsClose.goingAway);

    const stopped = (await logRecords(rig.server)).find((r) => r.msg === 'tank server stopped');
    expect(stopped).toMatchObject({ saved: ids.length });
    const final = await Promise.all(ids.map(async (id) => (await latestSnapshot(rig.db, id))!));
    for (const [i, snapshot] of final.entries()) {
      // Nothing lost: the final snapshot is no older than the last frame anyone saw …
      expect(snapshot.frame).toBeGreaterThanOrEqual(before[i]!);
      // … and it is exactly the base world carried forward to that frame.
      const carried = stepTo(decodeTankSnapshot(base[i]!.state).world, snapshot.frame);
      const stored = decodeTankSnapshot(snapshot.state).world;
      expect(serialize(stored)).toEqual(serialize(carried));
      expect([...stored.fish.uid.slice(0, stored.fish.count)]).toContain(spawned[i]);
    }

    await rig.server.restart();
    for (const [i, id] of ids.entries()) {
      expect(await expectContinuesFrom(rig, id, final[i]!)).toContain(spawned[i]);
    }
  });
});
