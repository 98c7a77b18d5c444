/**
 * @module
 * A PostgreSQL outage with a running network (a gateway and two servers as real processes on
 * Consul, Redis and a PostgreSQL of this file's own). SIGKILL PostgreSQL: tanks keep ticking and
 * viewers keep their frames; creations and transfers answer 503 problem+json with `Retry-After`
 * (`store_unavailable`), not a 500 and not a hang; lookups of known tanks answer from the
 * gateway's cache; snapshots fail with one log line per server. Restart it on the same port and
 * data: snapshots resume, creations and transfers work again, and nothing saved is lost: a
 * paused tank's snapshot rows from before are all there with its fish, and its newest snapshot
 * (what a restore loads) holds exactly its fish, by uid, including one spawned during the
 * outage. `tankworld audit` finds every fish once. Last, the lookup cache alone against a killed
 * database: an entry past its TTL is still answered.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createTankCache } from '../../src/gateway/cache.ts';
import { createLocation, createStore, createTank, type TankSnapshot } from '../../src/store/index.ts';
import { decodeTankSnapshot } from '../../src/tank/index.ts';
import {
  createCleanup,
  type ProgramHandle,
  startConsul,
  startPostgres,
  startRedis,
  useCleanup,
  waitFor,
} from '../support/index.ts';
import { type Answer, crashLines, createRig, dumpLogs, type Lookup, logRecords } from './rig.ts';

const fileCleanup = useCleanup();
/** Real processes on a shared machine: every wait inside is bounded, this bounds their sum. */
const TEST_TIMEOUT_MS = 150_000;

interface Stats {
  frame: number;
}

/** The fish uids a stored snapshot holds, sorted. */
function fishIn(state: unknown): string[] {
  const { fish } = decodeTankSnapshot(state as TankSnapshot['state']).world;
  return [...fish.uid.slice(0, fish.count)].sort();
}

/** A refusal for the outage: 503 problem+json, code `store_unavailable`, with `Retry-After`. */
function expectOutageAnswer(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ status: 503, code: 'store_unavailable' });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('a PostgreSQL outage', () => {
  it(
    'should keep tanks ticking and viewers fed, refuse writes with 503 and Retry-After, and lose nothing saved',
    async ({ onTestFinished }) => {
      const cleanup = createCleanup();
      let procs: ProgramHandle[] = [];
      onTestFinished(async ({ task }) => {
        if (task.result?.state === 'fail') await dumpLogs(procs);
        await cleanup.run();
      });
      const [consul, redis, pg] = await Promise.all([
        startConsul({ cleanup: fileCleanup }),
        startRedis({ cleanup }),
        startPostgres({ cleanup }),
      ]);
      const database = { url: await pg.createDatabase('tw_outage') };
      const sql = cleanup.add(postgres(database.url, { max: 1, onnotice: () => {} }));
      const rig = createRig({ cleanup, consul, database, redis });
      const [gateway, ...servers] = await Promise.all([
        rig.startGateway('gw-pg'),
        rig.startServer('srv-p1'),
        rig.startServer('srv-p2'),
      ]);
      procs = [gateway.proc, ...servers.map((s) => s.proc)];
      await waitFor(
        async () => {
          const { servers: seen } = await rig.expectCall<{ servers: Array<{ health: string }> }>(
            gateway.port,
            'GET',
            '/api/servers',
            200,
          );
          return seen.filter((s) => s.health === 'passing').length === 2;
        },
        { what: 'both servers passing', timeout: 20_000 },
      );

      // A running tank (ticks, a viewer) and a paused one (its fish stay as they are).
      const running = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, {
        name: 'Running',
        seed: 1,
        is_public: true,
      });
      const paused = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, {
        name: 'Paused',
        seed: 2,
        initial_fish: 6,
        is_public: false,
      });
      const [runningId, pausedId] = [running.tank.tank_id, paused.tank.tank_id];
      await rig.expectCall(gateway.port, 'POST', `/api/tanks/${pausedId}/pause`, 200);
      await rig.expectCall(gateway.port, 'POST', `/api/tanks/${pausedId}/fish`, 201, {
        genome: { speed: 1.2 },
      });
      await rig.expectCall(gateway.port, 'POST', `/api/tanks/${pausedId}/snapshots`, 201);
      const savedRows = await sql<Array<{ snapshot_id: string }>>`
      select snapshot_id from tank_snapshots where tank_id = ${pausedId} order by snapshot_id`;
      const savedUids = await rig.fishUids(gateway.port, pausedId);
      expect(savedUids.length).toBe(7);
      const viewer = await rig.viewer(running);
      const pausedFish = await rig.expectCall<{ entities: Array<{ id: number; uid: string }> }>(
        gateway.port,
        'GET',
        `/api/tanks/${pausedId}/entities?kind=fish`,
        200,
      );
      const moving = pausedFish.entities[0]!;
      const move = { source_tank_id: pausedId, dest_tank_id: runningId, entity_id: moving.id };

      await pg.kill('SIGKILL');
      const frameAtKill = (
        await rig.expectCall<Stats>(gateway.port, 'GET', `/api/tanks/${runningId}/stats`, 200)
      ).frame;
      const framesAtKill = viewer.frames.length;

      // Writes that need the database: a clear 503 with Retry-After, for as long as it is away.
      expectOutageAnswer(await rig.call(gateway.port, 'POST', '/api/tanks', { name: 'Refused' }));
      expectOutageAnswer(await rig.transfer(gateway.port, move, 'outage-refused'));
      expectOutageAnswer(await rig.call(gateway.port, 'GET', '/api/tanks'));
      // Lookups of known tanks answer from the gateway's cache; tanks tick; viewers get frames.
      for (const t of [running, paused]) {
        expect(
          await rig.expectCall<Lookup>(gateway.port, 'GET', `/gateway/tanks/${t.tank.tank_id}`, 200),
        ).toEqual(t);
      }
      await waitFor(
        async () =>
          (await rig.expectCall<Stats>(gateway.port, 'GET', `/api/tanks/${runningId}/stats`, 200)).frame >
          frameAtKill + 30,
        { what: 'the running tank ticking without PostgreSQL', timeout: 20_000 },
      );
      await waitFor(() => viewer.frames.length > framesAtKill + 20, { what: 'frames during the outage' });
      // Another user still reads the public tank (no grant to look up); the private one needs
      // their grants read, which cannot be done now.
      expect((await rig.callAs('bob', gateway.port, 'GET', `/api/tanks/${runningId}/stats`)).status).toBe(
        200,
      );
      expectOutageAnswer(await rig.callAs('bob', gateway.port, 'GET', `/api/tanks/${pausedId}/stats`));
      // A change that needs no database goes on, and is saved once the database is back.
      const born = await rig.expectCall<{ uid: string }>(
        gateway.port,
        'POST',
        `/api/tanks/${pausedId}/fish`,
        201,
        {
          genome: { speed: 0.8 },
        },
      );
      // Snapshots fail quietly: one line per server for the whole outage, however many batches.
      const ownerOf = (id: string) => servers.find((s) => s.proc.name.endsWith(id))!;
      const runningOwner = ownerOf(running.server.server_id);
      await waitFor(
        async () =>
          (await logRecords(runningOwner.proc)).some((r) => /snapshots failing/.test(String(r.msg))),
        { what: 'the snapshot failure logged', timeout: 20_000 },
      );
      const failedAt = (
        await rig.expectCall<Stats>(gateway.port, 'GET', `/api/tanks/${runningId}/stats`, 200)
      ).frame;
      // Three more snapshot intervals (500 ms, 30 ticks a second) pass failing.
      await waitFor(
        async () =>
          (await rig.expectCall<Stats>(gateway.port, 'GET', `/api/tanks/${runningId}/stats`, 200)).frame >
          failedAt + 45,
        { what: 'several failed snapshot intervals', timeout: 20_000 },
      );
      for (const { proc } of servers) {
        const lines = (await logRecords(proc)).filter(
          (r) => /snapshot/.test(String(r.msg)) && r.level === 'warn',
        );
        expect(lines.length).toBeLessThanOrEqual(1);
      }

      await pg.restart();
      // Snapshots resume past the outage, and the servers say so once.
      await waitFor(
        async () => {
          const [row] = await sql<Array<{ frame: number }>>`
          select max(frame)::int as frame from tank_snapshots where tank_id = ${runningId}`;
          return (row?.frame ?? 0) > failedAt;
        },
        { what: 'a snapshot of the running tank after the outage', timeout: 30_000 },
      );
      expect(
        (await logRecords(runningOwner.proc)).some((r) => /snapshots saved again/.test(String(r.msg))),
      ).toBe(true);
      await waitFor(
        async () => (await rig.call(gateway.port, 'POST', '/api/tanks', { name: 'Back' })).status === 201,
        {
          what: 'creations to work again',
          timeout: 30_000,
        },
      );
      expect((await rig.transfer(gateway.port, move, 'outage-after')).status).toBe(200);
      expect(await rig.fishUids(gateway.port, runningId)).toContain(moving.uid);
      expect(viewer.ws.readyState).toBe(1);

      // Nothing saved is lost: the paused tank's rows from before the outage are all there and
      // still hold its fish, and the newest snapshot, what a restore would load, holds them with
      // the one born during the outage (less the one moved out since).
      const expected = [...savedUids, born.uid].filter((uid) => uid !== moving.uid).sort();
      expect(await rig.fishUids(gateway.port, pausedId)).toEqual(expected);
      const rows = await sql<Array<{ snapshot_id: string; state: unknown }>>`
      select snapshot_id, state from tank_snapshots where tank_id = ${pausedId} order by frame, created_at`;
      const before = rows.filter((r) => savedRows.some((s) => s.snapshot_id === r.snapshot_id));
      expect(before).toHaveLength(savedRows.length);
      expect(fishIn(before.at(-1)!.state)).toEqual(savedUids);
      await waitFor(
        async () => {
          const [newest] = await sql<Array<{ state: unknown }>>`
          select state from tank_snapshots where tank_id = ${pausedId} order by created_at desc limit 1`;
          return fishIn(newest!.state).join() === expected.join();
        },
        { what: 'a snapshot of the paused tank with every change of and after the outage' },
      );

      for (const proc of [gateway.proc, ...servers.map((s) => s.proc)]) {
        expect(proc.running).toBe(true);
        expect(await crashLines(proc)).toEqual([]);
      }
      expect(await rig.audit()).toMatchObject({ ok: true, duplicated: [] });
    },
    TEST_TIMEOUT_MS,
  );

  it('should answer a tank the gateway held from its lookup cache past the TTL, and say 503 for one it never held', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const pg = await startPostgres({ cleanup });
    const store = cleanup.add(createStore({ databaseUrl: await pg.createDatabase('tw_cache'), poolSize: 2 }));
    await store.migrate();
    const tankId = randomUUID();
    await createTank(store.db, { tankId, name: 'Held', owner: 'alice', seed: 1 });
    await createLocation(store.db, { tankId, serverId: 'srv-held' });
    let now = 0;
    const cache = createTankCache({ db: store.db, ttlMs: 1000, clock: () => now });
    const held = await cache.get(tankId);
    expect(held).toMatchObject({ tankId, serverId: 'srv-held' });

    await pg.kill('SIGKILL');
    now += 5000;
    // Before the fix the expired entry was dropped for the failed load: a 503 for a live tank.
    expect(await cache.get(tankId)).toEqual(held);
    await expect(cache.get(randomUUID())).rejects.toMatchObject({ code: 'store_unavailable' });

    await pg.restart();
    const fresh = await waitFor(() => cache.get(tankId).catch(() => undefined), {
      what: 'a load from the restarted database',
      timeout: 20_000,
    });
    expect(fresh).toEqual(held);
  });
});
