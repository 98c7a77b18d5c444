/**
 * @module
 * Redis outages with a running network (a gateway and two servers as real processes on Consul,
 * PostgreSQL and a Redis of this file's own). SIGKILL Redis: tanks keep ticking, viewers keep
 * their frames, creations and listings still answer (placement by tank count, listings without
 * live stats, limits counted per process), and nothing crashes; restart it on the same port:
 * the event stream and the load reports catch up. A gateway and a server started while Redis is
 * down come up ready, serve, and catch up the same way once it is back.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import {
  type Cleanup,
  createCleanup,
  type ProgramHandle,
  startConsul,
  startRedis,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';
import { crashLines, createRig, dumpLogs, type Lookup, logRecords, type Rig } from './rig.ts';

const fileCleanup = useCleanup();
/** Real processes on a shared machine: every wait inside is bounded, this bounds their sum. */
const TEST_TIMEOUT_MS = 150_000;
const consulStarting = startConsul({ cleanup: fileCleanup });

interface Stats {
  frame: number;
}

async function setUp(cleanup: Cleanup) {
  const [consul, redis, database] = await Promise.all([
    consulStarting,
    startRedis({ cleanup }),
    useDatabase({ cleanup }),
  ]);
  return { consul, redis, rig: createRig({ cleanup, consul, database, redis }) };
}

/** The load reports Redis holds now, by server id (read with a client of the test's own). */
async function loadsInRedis(url: string): Promise<string[]> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.zRange('tankworld:loads', 0, -1)).sort();
  } finally {
    client.destroy();
  }
}

/** Waits until a tank's frame passes what it was when called. */
async function ticking(rig: Rig, port: number, tankId: string): Promise<void> {
  const route = `/api/tanks/${tankId}/stats`;
  const first = (await rig.expectCall<Stats>(port, 'GET', route, 200)).frame;
  await waitFor(async () => (await rig.expectCall<Stats>(port, 'GET', route, 200)).frame > first + 10, {
    what: `${tankId} ticking`,
    timeout: 20_000,
  });
}

describe('a Redis outage', () => {
  it(
    'should keep tanks ticking and viewers fed while Redis is down, and catch up when it returns',
    async ({ onTestFinished }) => {
      const cleanup = createCleanup();
      let procs: ProgramHandle[] = [];
      onTestFinished(async ({ task }) => {
        if (task.result?.state === 'fail') await dumpLogs(procs);
        await cleanup.run();
      });
      const { redis, rig } = await setUp(cleanup);
      const [gateway, ...servers] = await Promise.all([
        rig.startGateway('gw-redis'),
        rig.startServer('srv-r1'),
        rig.startServer('srv-r2'),
      ]);
      procs = [gateway.proc, ...servers.map((s) => s.proc)];
      await waitFor(async () => (await loadsInRedis(redis.url)).length === 2, {
        what: 'both servers reporting load',
        timeout: 20_000,
      });
      const tanks: Lookup[] = [];
      for (let i = 0; i < 2; i++)
        tanks.push(await rig.expectCall(gateway.port, 'POST', '/api/tanks', 201, { name: `R${i}`, seed: i }));
      const viewer = await rig.viewer(tanks[0]!);
      const stream = await rig.events(gateway.port);

      await redis.kill('SIGKILL');
      // Each process notices (one log line each), then everything that does not need Redis goes on.
      for (const proc of [gateway.proc, ...servers.map((s) => s.proc)]) {
        await waitFor(
          async () => (await logRecords(proc)).some((r) => /unreachable|unavailable/.test(String(r.msg))),
          {
            what: `${proc.name} to notice`,
            timeout: 20_000,
          },
        );
      }
      const framesAtKill = viewer.frames.length;
      for (const t of tanks) await ticking(rig, gateway.port, t.tank.tank_id);
      await waitFor(() => viewer.frames.length > framesAtKill + 20, { what: 'frames during the outage' });
      // Creations place by tank count; listings answer without live stats; lookups answer.
      const during = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, { name: 'Rdown' });
      const listed = await rig.expectCall<{ tanks: Array<{ stats: unknown }> }>(
        gateway.port,
        'GET',
        '/api/tanks',
        200,
      );
      expect(listed.tanks).toHaveLength(3);
      expect(listed.tanks.every((t) => t.stats === null)).toBe(true);
      await rig.expectCall(gateway.port, 'GET', `/gateway/tanks/${during.tank.tank_id}`, 200);
      await rig.expectCall(gateway.port, 'GET', '/api/servers', 200);

      await redis.restart();
      // Load reports come back with the next beats, and the event stream hears new events again.
      await waitFor(async () => (await loadsInRedis(redis.url)).length === 2, {
        what: 'load reports after the restart',
        timeout: 20_000,
      });
      const after = await waitFor(
        async () => {
          const created = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, {
            name: 'Rback',
          });
          const id = created.tank.tank_id;
          return (await waitFor(() => stream.events.some((e) => e.data.tank_id === id), {
            what: 'tank_created on the stream',
            timeout: 3000,
          }).catch(() => false))
            ? id
            : undefined;
        },
        { what: 'the event stream to resume', timeout: 30_000, interval: 200 },
      );
      expect(stream.events.find((e) => e.data.tank_id === after)?.event).toBe('tank_created');
      const listedAfter = await rig.expectCall<{ tanks: Array<{ stats: unknown }> }>(
        gateway.port,
        'GET',
        '/api/tanks',
        200,
      );
      expect(listedAfter.tanks.length).toBeGreaterThanOrEqual(4);

      for (const proc of [gateway.proc, ...servers.map((s) => s.proc)]) {
        expect(proc.running).toBe(true);
        expect(await crashLines(proc)).toEqual([]);
        // One line per client when Redis went (real-time state, limit counts), one when it came
        // back: the many reconnect attempts in between are not logged.
        const said = (pattern: RegExp) =>
          logRecords(proc).then((records) => records.filter((r) => pattern.test(String(r.msg))).length);
        expect(await said(/redis unreachable/)).toBe(2);
        await waitFor(async () => (await said(/redis reachable/)) === 2, { what: `${proc.name} to say so` });
      }
      expect(viewer.ws.readyState).toBe(1);
      const audit = await rig.audit();
      expect(audit).toMatchObject({ ok: true, duplicated: [] });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should start a gateway and a server while Redis is down, serve, and catch up when it returns',
    async ({ onTestFinished }) => {
      const cleanup = createCleanup();
      let procs: ProgramHandle[] = [];
      onTestFinished(async ({ task }) => {
        if (task.result?.state === 'fail') await dumpLogs(procs);
        await cleanup.run();
      });
      const { redis, rig } = await setUp(cleanup);
      await redis.kill('SIGKILL');

      const [gateway, server] = await Promise.all([rig.startGateway('gw-late'), rig.startServer('srv-late')]);
      procs = [gateway.proc, server.proc];
      await waitFor(
        async () => {
          const { servers } = await rig.expectCall<{ servers: Array<{ health: string }> }>(
            gateway.port,
            'GET',
            '/api/servers',
            200,
          );
          return servers.some((s) => s.health === 'passing');
        },
        { what: 'the server passing at the gateway', timeout: 20_000 },
      );
      const tank = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, {
        name: 'Born dark',
      });
      await ticking(rig, gateway.port, tank.tank.tank_id);
      const viewer = await rig.viewer(tank);
      const stream = await rig.events(gateway.port);
      for (const proc of [gateway.proc, server.proc]) {
        const lines = (await logRecords(proc)).filter((r) => /redis/i.test(String(r.msg)));
        // One line for the outage, not one per reconnect attempt.
        expect(lines.length).toBeGreaterThanOrEqual(1);
        expect(lines.length).toBeLessThanOrEqual(3);
      }

      await redis.restart();
      await waitFor(async () => (await loadsInRedis(redis.url)).includes('srv-late'), {
        what: 'the late server reporting load',
        timeout: 20_000,
      });
      await waitFor(
        async () => {
          const created = await rig.expectCall<Lookup>(gateway.port, 'POST', '/api/tanks', 201, {
            name: 'Dawn',
          });
          const id = created.tank.tank_id;
          return waitFor(() => stream.events.some((e) => e.data.tank_id === id), {
            what: 'tank_created on the stream',
            timeout: 3000,
          }).catch(() => false);
        },
        { what: 'the late gateway to hear events', timeout: 30_000, interval: 200 },
      );
      for (const proc of [gateway.proc, server.proc]) {
        expect((await logRecords(proc)).some((r) => /redis reachable/i.test(String(r.msg)))).toBe(true);
        expect(proc.running).toBe(true);
        expect(await crashLines(proc)).toEqual([]);
      }
      expect(viewer.ws.readyState).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});
