/**
 * @module
 * `GET /gateway/tanks/{id}`: exactly `{ tank, server, websocket_url }` (a public contract); a repeated
 * lookup is answered from the cache (rows deleted behind the gateway's back do not change the
 * answer, and the hit counter on `/metrics` moves, the miss counter does not); another gateway's
 * delete or move, arriving as a real-time event, is what the next lookup shows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { createServerClient } from '../../src/server-client/index.ts';
import { deleteTank, getLocation, moveTank } from '../../src/store/index.ts';
import { openViewer } from '../server/viewer.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
/** A second gateway on the same network: its writes reach the first only as events. */
let other: Gateway;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
  other = await stack.addGateway('gateway-other');
}, 120_000);

interface Lookup {
  tank: Record<string, unknown> & { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string; host: string; port: number };
  websocket_url: string;
}

async function create(name: string): Promise<Lookup> {
  return stack.json<Lookup>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name, description: 'a test reef', seed: 42, is_public: false, allow_transfers: true },
  });
}

function serverOf(serverId: string) {
  const found = stack.servers.find((s) => s.server.serverId === serverId);
  if (!found) throw new Error(`no server ${serverId}`);
  return found.server;
}

/** The value of one unlabelled series on the gateway's `/metrics`. */
async function metric(name: string): Promise<number> {
  const text = await (await stack.call('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} on /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /gateway/tanks/{id}', () => {
  it('should answer exactly { tank, server, websocket_url }, as the create did', async () => {
    const created = await create('Reef');
    const id = created.tank.tank_id;
    const server = serverOf(created.tank.server_id);
    const body = await stack.json<Lookup>(`/gateway/tanks/${id}`, 200, { user: 'alice' });
    expect(Object.keys(body).sort()).toEqual(['server', 'tank', 'websocket_url']);
    expect(body).toEqual({
      tank: {
        tank_id: id,
        name: 'Reef',
        description: 'a test reef',
        owner: 'alice',
        server_id: server.serverId,
        is_public: false,
        allow_transfers: true,
        seed: 42,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        epoch: created.tank.epoch,
      },
      server: { server_id: server.serverId, host: '127.0.0.1', port: server.port },
      websocket_url: `ws://127.0.0.1:${server.port}/ws/${id}`,
    });
    expect(body).toEqual(created);
    expect(server.host.get(id)).toBeDefined();

    // The URL is the one to watch the tank on: its server streams frames there.
    const viewer = openViewer(
      `${body.websocket_url}?token=${await mintToken({ secret: SECRET, userId: 'alice' })}`,
    );
    cleanup.add(() => viewer.close());
    await waitFor(() => viewer.frames.length >= 2, { what: 'frames on the websocket_url' });
  });

  it('should answer a repeated lookup from the cache, running no query', async () => {
    const { tank } = await create('Hot');
    await stack.json(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
    const hits = await metric('tankworld_gateway_lookup_cache_hits');
    const misses = await metric('tankworld_gateway_lookup_cache_misses');
    // Rows gone behind the gateway's back (no event): only a query could notice.
    expect(await deleteTank(stack.store.db, tank.tank_id)).toBe(true);
    for (let i = 0; i < 5; i++) {
      const body = await stack.json<Lookup>(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
      expect(body.tank.tank_id).toBe(tank.tank_id);
    }
    expect(await metric('tankworld_gateway_lookup_cache_hits')).toBe(hits + 5);
    expect(await metric('tankworld_gateway_lookup_cache_misses')).toBe(misses);
    // Once dropped, the next lookup queries and finds nothing.
    stack.gateway.ctx.cache.invalidate(tank.tank_id);
    const gone = await stack.call(`/gateway/tanks/${tank.tank_id}`, { user: 'alice' });
    expect(gone.status).toBe(404);
    expect(await metric('tankworld_gateway_lookup_cache_misses')).toBe(misses + 1);
  });

  it('should forget a tank another gateway deleted once the tank_deleted event arrives', async () => {
    const { tank } = await create('Doomed');
    await stack.json(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
    expect(stack.gateway.ctx.cache.size).toBeGreaterThan(0);
    await stack.json(`/api/tanks/${tank.tank_id}`, 200, { method: 'DELETE', user: 'alice', via: other });
    await waitFor(
      async () => (await stack.call(`/gateway/tanks/${tank.tank_id}`, { user: 'alice' })).status === 404,
      { what: 'the first gateway to see the delete' },
    );
    const res = await stack.call(`/gateway/tanks/${tank.tank_id}`, { user: 'alice' });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, code: 'tank_not_found' });
  });

  it('should show the new server of a tank another gateway moved once the tank_moved event arrives', async () => {
    const { tank } = await create('Nomad');
    const before = await stack.json<Lookup>(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
    const from = before.server.server_id;
    const to = stack.servers.map((s) => s.server.serverId).find((id) => id !== from)!;
    // What another gateway's failover does: snapshot, bump the epoch to the new owner, adopt, announce.
    await stack.json(`/api/tanks/${tank.tank_id}/snapshots`, 201, { method: 'POST', user: 'alice' });
    const epoch = await moveTank(stack.store.db, {
      tankId: tank.tank_id,
      toServerId: to,
      expectedEpoch: before.tank.epoch,
    });
    const client = createServerClient({
      secret: SECRET,
      resolveServer: (id) => ({ baseUrl: serverOf(id).url }),
    });
    await client.adoptTank(to, tank.tank_id, epoch);
    // Still cached: the move has not been announced yet.
    const stale = await stack.json<Lookup>(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
    expect(stale.server.server_id).toBe(from);
    await stack.realtime.publish({
      type: 'tank_moved',
      tank_id: tank.tank_id,
      from,
      to,
      epoch,
      at: new Date().toISOString(),
    });
    const moved = await waitFor(
      async () => {
        const body = await stack.json<Lookup>(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
        return body.server.server_id === to ? body : undefined;
      },
      { what: 'the lookup to name the new server' },
    );
    const server = serverOf(to);
    expect(moved).toEqual({
      tank: { ...before.tank, server_id: to, epoch },
      server: { server_id: to, host: '127.0.0.1', port: server.port },
      websocket_url: `ws://127.0.0.1:${server.port}/ws/${tank.tank_id}`,
    });
    expect((await getLocation(stack.store.db, tank.tank_id))?.serverId).toBe(to);
  });

  it('should answer 404 problem+json for an unknown or malformed tank id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await stack.call(`/gateway/tanks/${id}`, { user: 'alice' });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: '/problems/tank_not_found', code: 'tank_not_found' });
    }
  });
});
