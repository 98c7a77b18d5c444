/**
 * @module
 * Live moves with real processes (a `tankworld gateway` and `tankworld server`s on Consul,
 * PostgreSQL and Redis): `POST /api/tanks/{id}/move` with a viewer connected (the same fish
 * uids, the frame counter going on, the viewer told `moved` then fed a keyframe by the new
 * server), the move's refusals, a SIGTERMed server draining its tanks and viewers onto the other
 * one with a clean audit, and `tankworld drain`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { WsClose } from '../../src/server/index.ts';
import { createFrameDecoder } from '../../src/tank/wire/index.ts';
import { opened, openViewer, type TestViewer } from '../server/viewer.ts';
import {
  distributedEnv,
  freePorts,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const run = promisify(execFile);
const cleanup = useCleanup();
const SECRET = 'live-moves-secret-0123456789abcdef';
const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

interface Lookup {
  tank: { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string };
  websocket_url: string;
}
interface Entities {
  frame: number;
  entities: Array<{ kind: string; uid?: string }>;
}
interface Moved {
  type: 'moved';
  tank_id: string;
  websocket_url: string;
  server_id: string;
  frame: number;
  epoch: number;
}

let env: Record<string, string>;
let gatewayUrl: string;
const servers = new Map<string, ProgramHandle>();
let spare: { id: string; port: number };

async function call<T>(
  user: string,
  method: string,
  route: string,
  status: number,
  body?: unknown,
): Promise<T> {
  const token = await mintToken({ secret: SECRET, userId: user });
  const res = await fetch(`${gatewayUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== status)
    throw new Error(`${method} ${route}: expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const fishUids = (e: Entities) =>
  e.entities
    .filter((x) => x.kind === 'fish')
    .map((x) => x.uid as string)
    .sort();

async function watch(websocketUrl: string): Promise<TestViewer> {
  const token = await mintToken({ secret: SECRET, userId: 'alice' });
  const viewer = openViewer(`${websocketUrl}?token=${token}`);
  await opened(viewer);
  await waitFor(() => viewer.frames.length > 0, { what: 'a first frame', timeout: 15_000 });
  return viewer;
}

/** The frame number of every binary message (a keyframe starts its decoder afresh). */
function frameNumbers(viewer: TestViewer): Array<{ frame: number; keyframe: boolean }> {
  return viewer.frames.map((bytes) => ({
    frame: new DataView(bytes.buffer, bytes.byteOffset).getUint32(3, true),
    keyframe: (bytes[1]! & 0x7f) === 1,
  }));
}

/** Waits for the `moved` message and the 4307 close; returns the message. */
async function movedOf(viewer: TestViewer): Promise<Moved> {
  const moved = (await viewer.nextText((m) => m.type === 'moved', 'a moved message')) as unknown as Moved;
  expect((await viewer.closed).code).toBe(WsClose.moved);
  return moved;
}

/** Reconnects where `moved` says; the first frame there is a keyframe at or past the moved frame. */
async function follow(moved: Moved): Promise<TestViewer> {
  const next = await watch(moved.websocket_url);
  const [first] = frameNumbers(next);
  expect(first!.keyframe).toBe(true);
  expect(first!.frame).toBeGreaterThanOrEqual(moved.frame);
  const tank = createFrameDecoder().decode(next.frames[0]!);
  expect(tank?.frame).toBe(first!.frame);
  return next;
}

beforeAll(async () => {
  const [consul, redis, database] = await Promise.all([
    startConsul({ cleanup }),
    startRedis({ cleanup }),
    useDatabase({ cleanup }),
  ]);
  const [gatewayPort, portA, portB, portC] = await freePorts(4);
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  env = { ...distributedEnv({ consul, database, redis, secret: SECRET }), CHECK_TTL: '2s' };
  await startTankworld({
    role: 'gateway',
    id: 'gw-moves',
    port: gatewayPort!,
    env: { ...env, FAILOVER_GRACE_MS: '60000' },
    cleanup,
  });
  await Promise.all(
    [
      ['mv-a', portA!],
      ['mv-b', portB!],
    ].map(async ([id, port]) => {
      servers.set(
        id as string,
        await startTankworld({
          role: 'server',
          id: id as string,
          port: port as number,
          env: { ...env, SNAPSHOT_INTERVAL_MS: '1000' },
          cleanup,
        }),
      );
    }),
  );
  spare = { id: 'mv-c', port: portC! };
  await waitFor(
    async () => {
      const { servers: seen } = await call<{ servers: Array<{ status: string }> }>(
        'alice',
        'GET',
        '/api/servers',
        200,
      );
      return seen.filter((s) => s.status === 'online').length === 2;
    },
    { what: 'both servers at the gateway', timeout: 30_000 },
  );
}, 120_000);

describe('live moves', () => {
  it('should move a tank with its viewer: same fish, frame going on, moved then a keyframe', async () => {
    const created = await call<Lookup>('alice', 'POST', '/api/tanks', 201, {
      name: 'Mover',
      seed: 7,
      initial_fish: 8,
    });
    const id = created.tank.tank_id;
    // Paused, the fish and the frame stand still, so before and after compare exactly.
    await call('alice', 'POST', `/api/tanks/${id}/pause`, 200);
    const before = await call<Entities>('alice', 'GET', `/api/tanks/${id}/entities`, 200);
    const viewer = await watch(created.websocket_url);

    const lookup = await call<Lookup>('alice', 'POST', `/api/tanks/${id}/move`, 200);
    expect(lookup.server.server_id).not.toBe(created.server.server_id);
    expect(lookup.tank.epoch).toBe(created.tank.epoch + 1);
    const moved = await movedOf(viewer);
    expect(moved).toMatchObject({
      tank_id: id,
      websocket_url: lookup.websocket_url,
      server_id: lookup.server.server_id,
      frame: before.frame,
      epoch: lookup.tank.epoch,
    });
    const follower = await follow(moved);
    const after = await call<Entities>('alice', 'GET', `/api/tanks/${id}/entities`, 200);
    expect(fishUids(after)).toEqual(fishUids(before));
    expect(after.frame).toBe(before.frame);

    // Running now, and moved back by name: the frames the viewer sees never go back.
    await call('alice', 'POST', `/api/tanks/${id}/resume`, 200);
    await waitFor(() => frameNumbers(follower).some((f) => f.frame > before.frame), {
      what: 'frames after resume',
    });
    const back = await call<Lookup>('alice', 'POST', `/api/tanks/${id}/move`, 200, {
      server_id: created.server.server_id,
    });
    expect(back.server.server_id).toBe(created.server.server_id);
    const movedBack = await movedOf(follower);
    const seen = frameNumbers(follower).map((f) => f.frame);
    expect(Math.max(...seen)).toBeLessThanOrEqual(movedBack.frame);
    const third = await follow(movedBack);
    await waitFor(() => frameNumbers(third).some((f) => f.frame > movedBack.frame), { what: 'frames go on' });
    third.close();
  });

  it('should refuse a bad, unknown or own server_id and a caller who is not admin', async () => {
    const created = await call<Lookup>('alice', 'POST', '/api/tanks', 201, {
      name: 'Stay',
      is_public: false,
    });
    const id = created.tank.tank_id;
    const refused = (body: unknown, status: number, user = 'alice') =>
      call<{ code: string }>(user, 'POST', `/api/tanks/${id}/move`, status, body);
    expect((await refused({ server_id: 'Not A Server!' }, 422)).code).toBe('invalid_move_target');
    expect((await refused({ server_id: created.server.server_id }, 422)).code).toBe('invalid_move_target');
    expect((await refused({ server_id: 'mv-nowhere' }, 409)).code).toBe('move_target_unavailable');
    expect((await refused({ server_id: 1 }, 400)).code).toBeDefined();
    // bob cannot read the private tank: it does not exist for him; with write he still is not admin.
    expect((await refused({}, 404, 'bob')).code).toBe('tank_not_found');
    await call('alice', 'POST', `/api/tanks/${id}/permissions`, 201, {
      user_id: 'bob',
      permission: 'write',
    }).catch(() =>
      call('alice', 'POST', `/api/tanks/${id}/permissions`, 200, { user_id: 'bob', permission: 'write' }),
    );
    expect((await refused({}, 403, 'bob')).code).toBe('forbidden');
    // Nothing moved.
    const lookup = await call<Lookup>('alice', 'GET', `/gateway/tanks/${id}`, 200);
    expect(lookup.tank.epoch).toBe(created.tank.epoch);
  });

  it('should drain a SIGTERMed server: its tanks and viewers on the other server, audit clean', async () => {
    // Two tanks on mv-a (moved there by name when placement put them elsewhere).
    const tanks: Lookup[] = [];
    for (let i = 0; i < 2; i++) {
      let t = await call<Lookup>('alice', 'POST', '/api/tanks', 201, {
        name: `Drained ${i}`,
        initial_fish: 6,
      });
      if (t.server.server_id !== 'mv-a')
        t = await call<Lookup>('alice', 'POST', `/api/tanks/${t.tank.tank_id}/move`, 200, {
          server_id: 'mv-a',
        });
      await call('alice', 'POST', `/api/tanks/${t.tank.tank_id}/pause`, 200);
      tanks.push(t);
    }
    const before = await Promise.all(
      tanks.map((t) => call<Entities>('alice', 'GET', `/api/tanks/${t.tank.tank_id}/entities`, 200)),
    );
    const viewers = await Promise.all(tanks.map((t) => watch(t.websocket_url)));

    const a = servers.get('mv-a')!;
    await a.kill('SIGTERM');
    const moved = await Promise.all(viewers.map(movedOf));
    for (const [i, m] of moved.entries()) {
      expect(m.server_id).toBe('mv-b');
      expect(m.frame).toBe(before[i]!.frame);
      (await follow(m)).close();
    }
    await waitFor(() => !a.running, { what: 'mv-a exited', timeout: 20_000 });
    for (const [i, t] of tanks.entries()) {
      const lookup = await call<Lookup>('alice', 'GET', `/gateway/tanks/${t.tank.tank_id}`, 200);
      expect(lookup.server.server_id).toBe('mv-b');
      const after = await call<Entities>('alice', 'GET', `/api/tanks/${t.tank.tank_id}/entities`, 200);
      expect(fishUids(after)).toEqual(fishUids(before[i]!));
    }
    const { tanks: onA } = await call<{ tanks: unknown[] }>('alice', 'GET', '/api/tanks?server_id=mv-a', 200);
    expect(onA).toEqual([]);
    // A server gone from discovery is no destination.
    const code = await call<{ code: string }>(
      'alice',
      'POST',
      `/api/tanks/${tanks[0]!.tank.tank_id}/move`,
      409,
      {
        server_id: 'mv-a',
      },
    );
    expect(code.code).toBe('move_target_unavailable');
    const operator = await mintToken({ secret: SECRET, userId: 'ops', scopes: ['operator'] });
    const audit = await fetch(`${gatewayUrl}/api/audit`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(await audit.json()).toMatchObject({ ok: true, duplicated: [] });
  });

  it('should drain a server with `tankworld drain`, one line per tank', async () => {
    servers.set(
      spare.id,
      await startTankworld({ role: 'server', id: spare.id, port: spare.port, env, cleanup }),
    );
    await waitFor(
      async () => {
        const { servers: seen } = await call<{ servers: Array<{ server_id: string; status: string }> }>(
          'alice',
          'GET',
          '/api/servers',
          200,
        );
        return seen.some((s) => s.server_id === spare.id && s.status === 'online');
      },
      { what: 'mv-c at the gateway', timeout: 30_000 },
    );
    const { tanks: onB } = await call<{ tanks: unknown[] }>('alice', 'GET', '/api/tanks?server_id=mv-b', 200);
    expect(onB.length).toBeGreaterThan(0);
    const { stdout } = await run(process.execPath, [CLI, 'drain', 'mv-b', '--gateway', gatewayUrl], {
      env: { ...process.env, ...env },
    });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('moved to mv-c'))).toHaveLength(onB.length);
    expect(lines.at(-1)).toBe(`drained: ${onB.length} moved, 0 failed`);
    const { tanks: left } = await call<{ tanks: unknown[] }>(
      'alice',
      'GET',
      '/api/tanks?server_id=mv-b',
      200,
    );
    expect(left).toEqual([]);
    // Without the operator scope the gateway refuses.
    const plain = await mintToken({ secret: SECRET, userId: 'alice' });
    const refused = await run(process.execPath, [CLI, 'drain', 'mv-c', '--gateway', gatewayUrl], {
      env: { ...process.env, ...env, TANKWORLD_TOKEN: plain },
    }).catch((err: { code: number; stderr: string }) => err);
    expect((refused as { code: number }).code).toBe(1);
  });
});
