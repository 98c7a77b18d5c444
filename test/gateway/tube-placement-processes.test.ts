/**
 * @module
 * Placement that follows tubes as it runs in production: a `tankworld gateway` process and
 * three `tankworld server` processes on Consul, PostgreSQL and Redis. A tank created with
 * `connect_to` lands beside the tank it connects to even where another server is emptier, and
 * gets its tube; a refused `connect_to` makes nothing; a connected tank moved without a
 * destination goes to its peer's server rather than the emptiest (docs/placement.md).
 */
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
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

const cleanup = useCleanup();
const SECRET = 'tube-placement-secret-0123456789';
const SERVERS = ['srv-a', 'srv-b', 'srv-c'];

interface Created {
  tank: { tank_id: string; server_id: string };
  connection?: { source_tank_id: string; dest_tank_id: string; direction: string };
}

describe('placement that follows tubes, over processes', () => {
  it('should create a connected tank beside its peer and move one toward its peers', async () => {
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, ...serverPorts] = await freePorts(1 + SERVERS.length);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = distributedEnv({ consul, database, redis, secret: SECRET });
    await startTankworld({ role: 'gateway', id: 'gw-tubes', port: gatewayPort!, env, cleanup });
    await Promise.all(
      SERVERS.map((id, i) => startTankworld({ role: 'server', id, port: serverPorts[i]!, env, cleanup })),
    );
    const tokens = {
      alice: await mintToken({ secret: SECRET, userId: 'alice' }),
      bob: await mintToken({ secret: SECRET, userId: 'bob' }),
    };
    const call = async (user: keyof typeof tokens, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gatewayUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Created & { code?: string } };
    };
    const create = async (user: keyof typeof tokens, body: Record<string, unknown>) =>
      call(user, 'POST', '/api/tanks', { name: 'Reef', initial_fish: 0, ...body });
    const serverOf = async (tankId: string) =>
      ((await call('alice', 'GET', `/gateway/tanks/${tankId}`)).body as Created).tank.server_id;

    await waitFor(
      async () => {
        const { body } = await call('alice', 'GET', '/api/servers');
        const servers = (body as unknown as { servers: Array<{ status: string }> }).servers;
        return servers.filter((s) => s.status === 'online').length === SERVERS.length;
      },
      { what: 'three servers online at the gateway', timeout: 30_000 },
    );

    // srv-b holds two tanks, the others none: a plain create goes elsewhere…
    const anchor = (await create('alice', { server_id: 'srv-b' })).body.tank.tank_id;
    await create('alice', { server_id: 'srv-b' });
    // …but a tank connected to the anchor joins it there, with a two-way tube.
    const joined = await create('alice', { connect_to: anchor });
    expect(joined.status).toBe(201);
    expect(joined.body.tank.server_id).toBe('srv-b');
    expect(joined.body.connection).toMatchObject({
      source_tank_id: joined.body.tank.tank_id,
      dest_tank_id: anchor,
      direction: 'both',
    });
    const listed = (await call('alice', 'GET', `/api/tanks/${anchor}/connections`)).body as unknown as {
      connections: Array<{ source_tank_id: string }>;
    };
    expect(listed.connections.map((c) => c.source_tank_id)).toEqual([joined.body.tank.tank_id]);
    const plain = await create('alice', {});
    expect(plain.body.tank.server_id).not.toBe('srv-b');

    // Refusals make no tank: unknown or unreadable (404), closed to transfers (403), malformed (400).
    const bobs = { server_id: 'srv-a' };
    const closed = (await create('bob', { ...bobs, is_public: true, allow_transfers: false })).body.tank
      .tank_id;
    const hidden = (await create('bob', { ...bobs, is_public: false, allow_transfers: true })).body.tank
      .tank_id;
    const before = ((await call('alice', 'GET', '/api/tanks?limit=200')).body as unknown as { tanks: [] })
      .tanks.length;
    expect(await create('alice', { connect_to: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      status: 404,
      body: { code: 'tank_not_found' },
    });
    expect(await create('alice', { connect_to: hidden })).toMatchObject({
      status: 404,
      body: { code: 'tank_not_found' },
    });
    expect(await create('alice', { connect_to: closed })).toMatchObject({
      status: 403,
      body: { code: 'transfers_not_allowed' },
    });
    expect((await create('alice', { connect_to: 'not-a-uuid' })).status).toBe(400);
    const after = ((await call('alice', 'GET', '/api/tanks?limit=200')).body as unknown as { tanks: [] })
      .tanks.length;
    expect(after).toBe(before);
    // Its owner may connect to a tank closed to transfers.
    expect((await create('bob', { connect_to: closed })).status).toBe(201);

    // A tank on srv-a, tubed to a peer on srv-c, which holds more tanks than srv-b (3): moved
    // without a destination it goes to its peer's server, not the emptiest.
    const peer = (await create('alice', { server_id: 'srv-c' })).body.tank.tank_id;
    for (let i = 0; i < 3; i++) await create('alice', { server_id: 'srv-c' });
    const mover = (await create('alice', { server_id: 'srv-a' })).body.tank.tank_id;
    const tube = await call('alice', 'POST', `/api/tanks/${mover}/connections`, { to_tank_id: peer });
    expect(tube.status).toBe(201);
    const moved = await call('alice', 'POST', `/api/tanks/${mover}/move`);
    expect(moved.status).toBe(200);
    expect(await serverOf(mover)).toBe('srv-c');
    // Cut the tube and move it back and forth: with no tube, the emptiest server takes it.
    const { connection_id } = tube.body as unknown as { connection_id: string };
    expect((await call('alice', 'DELETE', `/api/tanks/${mover}/connections/${connection_id}`)).status).toBe(
      204,
    );
    expect((await call('alice', 'POST', `/api/tanks/${mover}/move`, { server_id: 'srv-a' })).status).toBe(
      200,
    );
    expect((await call('alice', 'POST', `/api/tanks/${mover}/move`)).status).toBe(200);
    expect(await serverOf(mover)).toBe('srv-b');
  }, 120_000);
});
