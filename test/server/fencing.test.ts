/**
 * @module
 * The lease with processes: a `tankworld server` on its own Consul agent, PostgreSQL and Redis.
 * With the agent killed the server fences itself within its lease: its viewers get `fenced`
 * (naming the gateway lookup) and close 4503, REST and new WebSockets answer 503
 * `server_fenced`, its tanks stop ticking and snapshotting. A tank moved away meanwhile (the
 * store's `moveTank`, as a gateway's failover does) is dropped when the agent is back, without a
 * write; the server registers again and its other tank resumes from the frame it stopped at.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createStore, getLocation, moveTank } from '../../src/store/index.ts';
import {
  distributedEnv,
  freePorts,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';
import { opened, openViewer } from './viewer.ts';

const cleanup = useCleanup();
const SECRET = 'server-fencing-secret-0123456789';
const SERVER_ID = 'srv-fenced';
const TICK_HZ = 30;

describe('a server cut off from Consul', () => {
  it('should fence itself within its lease, then drop the tank that moved and resume the other', async () => {
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [port] = await freePorts(1);
    const base = `http://127.0.0.1:${port}`;
    await startTankworld({
      role: 'server',
      id: SERVER_ID,
      port: port!,
      env: {
        ...distributedEnv({ consul, database, redis, secret: SECRET }),
        CHECK_TTL: '2s',
        TICK_HZ: String(TICK_HZ),
        SNAPSHOT_INTERVAL_MS: '300',
      },
      cleanup,
    });
    const store = cleanup.add(createStore({ databaseUrl: database.url, dataDir: 'memory://', poolSize: 2 }));
    const sql = cleanup.add(postgres(database.url, { max: 1, onnotice: () => {} }));
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const call = (method: string, route: string, body?: unknown) =>
      fetch(`${base}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const passing = async () => {
      const res = await fetch(`${consul.url}/v1/health/checks/tank-server`).catch(() => undefined);
      if (!res?.ok) return false;
      const checks = (await res.json()) as Array<{ ServiceID: string; Status: string }>;
      return checks.some((c) => c.ServiceID === SERVER_ID && c.Status === 'passing');
    };
    await waitFor(passing, { what: 'the server passing in Consul', timeout: 30_000 });

    const tankIds: string[] = [];
    for (const name of ['Kept', 'Moved']) {
      const res = await call('POST', '/api/tanks', { name, seed: tankIds.length + 1 });
      expect(res.status).toBe(201);
      tankIds.push(((await res.json()) as { tank: { tank_id: string } }).tank.tank_id);
    }
    const [kept, moved] = tankIds as [string, string];
    const viewer = openViewer(`ws://127.0.0.1:${port}/ws/${kept}?token=${token}&format=json`);
    await opened(viewer);
    await waitFor(() => viewer.texts.filter((t) => t.type !== 'hello').length >= 3, {
      what: 'frames of the kept tank',
      timeout: 15_000,
    });

    await consul.kill('SIGKILL');

    // Within its lease (TTL 2 s less a third of a second): told, then closed with 4503.
    const fenced = await viewer.nextText((m) => m.type === 'fenced', 'the fenced message');
    expect(fenced).toMatchObject({
      type: 'fenced',
      tank_id: kept,
      lookup: `/api/tanks/${kept}/server`,
      retry_after_s: expect.any(Number),
    });
    expect((await viewer.closed).code).toBe(4503);
    const stoppedAt = fenced.frame as number;
    expect(stoppedAt).toBeGreaterThan(0);

    // REST commands and reads of a tank answer 503 problem+json with Retry-After.
    const command = await call('POST', `/api/tanks/${kept}/fish`, {});
    expect(command.status).toBe(503);
    expect(command.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(command.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await command.json()).toMatchObject({ status: 503, code: 'server_fenced' });
    expect((await call('GET', `/api/tanks/${kept}/stats`)).status).toBe(503);
    // A new viewer is refused before the upgrade.
    const late = openViewer(`ws://127.0.0.1:${port}/ws/${kept}?token=${token}`);
    expect((await late.closed).code).toBe(1006);
    expect(late.texts).toEqual([]);
    // The health page still answers: the process is alive, it only acts on nothing.
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', server_id: SERVER_ID, lease: 'fenced' });

    // No snapshot is written while fenced: the newest stays put across several intervals.
    const newest = async () =>
      (
        await sql<Array<{ frame: number }>>`
        select max(frame)::int as frame from tank_snapshots where tank_id = ${kept}`
      )[0]!.frame;
    const before = await newest();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await newest()).toBe(before);

    // A gateway's failover moves one tank away meanwhile.
    const location = await getLocation(store.db, moved);
    expect(location).toMatchObject({ serverId: SERVER_ID, epoch: 1 });
    await moveTank(store.db, { tankId: moved, toServerId: 'srv-elsewhere', expectedEpoch: 1 });

    // The agent is back (empty: a -dev agent keeps nothing): the server registers again.
    let lastRefusedAt = performance.now();
    await consul.restart();
    await waitFor(passing, { what: 'the server registered and passing again', timeout: 30_000 });
    const resumed = await waitFor(
      async () => {
        const askedAt = performance.now();
        const res = await call('GET', `/api/tanks/${kept}/stats`);
        if (res.status === 503) {
          lastRefusedAt = askedAt;
          return undefined;
        }
        expect(res.status).toBe(200);
        return { frame: ((await res.json()) as { frame: number }).frame, at: performance.now() };
      },
      { what: 'the kept tank served again', timeout: 15_000, interval: 50 },
    );
    // It continued from its frame: it never ticked while fenced (over 3 s, 90 ticks and more);
    // the only ticks since are those after the last refusal (plus a catch-up of a few).
    const sinceRefusalS = (resumed.at - lastRefusedAt) / 1000;
    expect(resumed.frame).toBeGreaterThanOrEqual(stoppedAt);
    expect(resumed.frame - stoppedAt).toBeLessThanOrEqual(Math.ceil(TICK_HZ * sinceRefusalS) + 5);
    await waitFor(
      async () =>
        ((await (await call('GET', `/api/tanks/${kept}/stats`)).json()) as { frame: number }).frame >
        resumed.frame,
      { what: 'the kept tank ticking again', timeout: 15_000 },
    );

    // The moved tank is gone from this server, and nothing it did here was written.
    const gone = await call('GET', `/api/tanks/${moved}/stats`);
    expect(gone.status).toBe(404);
    expect(await getLocation(store.db, moved)).toMatchObject({ serverId: 'srv-elsewhere', epoch: 2 });
    const stale = await sql`select 1 from tank_snapshots where tank_id = ${moved} and epoch = 2`;
    expect(stale).toHaveLength(0);

    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ lease: 'held', tanks: 1 });

    // A new viewer of the kept tank is served again.
    const back = openViewer(`ws://127.0.0.1:${port}/ws/${kept}?token=${token}&format=json`);
    cleanup.add(() => back.close());
    const hello = await back.nextText((m) => m.type === 'hello', 'hello after the recovery');
    expect(hello.frame as number).toBeGreaterThanOrEqual(resumed.frame);
  });
});
