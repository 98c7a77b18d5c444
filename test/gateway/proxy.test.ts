/**
 * @module
 * `/api/tanks/{id}/…` through the gateway to the tank's own server: each forwarded route gives
 * the server's own answer (read back on the server), the server's 400 and 404 come through as
 * its problem+json, and what goes wrong on the way is the gateway's problem: a server that
 * stalls (before or in the middle of its answer) is 504 `upstream_timeout`, one that refuses the
 * connection is 502 `upstream_unavailable`, one that discovery marks critical is 503
 * `tank_unavailable`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { getLocation, getTank } from '../../src/store/index.ts';
import { freePort, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let serverId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url, snapshotIntervalMs: 300 });
  const created = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Proxied', initial_fish: 3, is_public: false },
  });
  tankId = created.tank.tank_id;
  serverId = created.tank.server_id;
}, 120_000);

function owner() {
  return stack.servers.find((s) => s.server.serverId === serverId)!;
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `/problems/${code}`, code, status });
  return body;
}

/** A server that accepts connections and answers only what `respond` writes (maybe nothing). */
async function stallingServer(respond: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('forwarded tank routes', () => {
  it("should answer each with the owning server's answer", async () => {
    const as = { user: 'alice' };
    const path = `/api/tanks/${tankId}`;

    const status = await stack.call(path, as);
    expect(status.status).toBe(200);
    expect(status.headers.get('x-tank-server')).toBe(serverId);
    expect(await status.json()).toMatchObject({ tank: { tank_id: tankId }, running: true });

    const fish = await stack.json<{ id: number; uid: string; tank_id: string }>(`${path}/fish`, 201, {
      method: 'POST',
      body: { x: 10, y: 10 },
      ...as,
    });
    expect(fish.tank_id).toBe(tankId);
    const one = await stack.json<{ id: number }>(`${path}/entities/${fish.id}`, 200, as);
    expect(one.id).toBe(fish.id);

    const food = await stack.json<{ ids: number[] }>(`${path}/food`, 201, {
      method: 'POST',
      body: { count: 3 },
      ...as,
    });
    expect(food.ids).toHaveLength(3);
    const entities = await stack.json<{ entities: Array<{ id: number }> }>(`${path}/entities`, 200, as);
    const ids = entities.entities.map((e) => e.id);
    expect(ids).toContain(fish.id);
    // Food may already be eaten: at least the fish we made is there, and the same list the server gives.
    const direct = await owner().json<{ entities: Array<{ id: number }> }>(`${path}/entities`, 200, as);
    expect(direct.entities.map((e) => e.id)).toEqual(expect.arrayContaining([fish.id]));

    const stats = await stack.json(`${path}/stats`, 200, as);
    const directStats = await owner().json(`${path}/stats`, 200, as);
    expect(Object.keys(stats).sort()).toEqual(Object.keys(directStats).sort());
    expect(stats).toMatchObject({ fish_count: expect.any(Number), max_fish: directStats.max_fish });

    expect(await stack.json(`${path}/pause`, 200, { method: 'POST', ...as })).toMatchObject({ paused: true });
    expect(owner().server.host.get(tankId)!.status).toBe('paused');
    expect(await stack.json(`${path}/resume`, 200, { method: 'POST', ...as })).toMatchObject({
      paused: false,
    });
    expect(owner().server.host.get(tankId)!.status).toBe('running');

    const snapshot = await stack.json<{ snapshot_id: string }>(`${path}/snapshots`, 201, {
      method: 'POST',
      ...as,
    });
    const listed = await stack.json<{ snapshots: Array<{ snapshot_id: string }> }>(
      `${path}/snapshots`,
      200,
      as,
    );
    expect(listed.snapshots.map((s) => s.snapshot_id)).toContain(snapshot.snapshot_id);
  });

  it("should pass the server's 400 and 404 through as its problem+json", async () => {
    const path = `/api/tanks/${tankId}`;
    const bad = await stack.call(`${path}/food`, { method: 'POST', user: 'alice', body: { count: 'many' } });
    expect(bad.headers.get('x-tank-server')).toBe(serverId);
    await expectProblem(bad, 400, 'invalid_request');
    const unknown = await stack.call(`${path}/fish`, { method: 'POST', user: 'alice', body: { wings: 2 } });
    await expectProblem(unknown, 400, 'invalid_request');
    const missing = await stack.call(`${path}/entities/987654`, { user: 'alice' });
    expect(missing.headers.get('x-tank-server')).toBe(serverId);
    await expectProblem(missing, 404, 'unknown_entity');
  });
});

describe('an owning server that misbehaves', () => {
  it('should answer 504 upstream_timeout when the server never answers', async () => {
    const silent = await stallingServer(() => {});
    const gateway = await stack.addGateway('gateway-silent', {
      resolveServer: () => ({ baseUrl: silent }),
      proxyTimeoutMs: 300,
    });
    const res = await stack.call(`/api/tanks/${tankId}/stats`, { user: 'alice', via: gateway });
    const problem = await expectProblem(res, 504, 'upstream_timeout');
    expect(problem).toMatchObject({ tank_id: tankId, server_id: serverId });
  });

  it('should answer 504 upstream_timeout when the server stalls in the middle of its answer', async () => {
    const halting = await stallingServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"frame":');
    });
    const gateway = await stack.addGateway('gateway-halting', {
      resolveServer: () => ({ baseUrl: halting }),
      proxyTimeoutMs: 300,
    });
    const res = await stack.call(`/api/tanks/${tankId}/stats`, { user: 'alice', via: gateway });
    await expectProblem(res, 504, 'upstream_timeout');
  });

  it('should answer 502 upstream_unavailable when the server refuses the connection', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gateway = await stack.addGateway('gateway-refused', { resolveServer: () => ({ baseUrl: dead }) });
    const res = await stack.call(`/api/tanks/${tankId}/entities`, { user: 'alice', via: gateway });
    await expectProblem(res, 502, 'upstream_unavailable');
  });

  it('should answer 503 tank_unavailable while discovery marks the server critical, and recover after', async () => {
    const checkId = `service:${serverId}:ttl`;
    stack.registry.updateCheck(checkId, 'critical', 'stopped by the test');
    await waitFor(() => !stack.gateway.ctx.directory.isAvailable(serverId), { what: `${serverId} critical` });
    for (const [method, path] of [
      ['GET', `/api/tanks/${tankId}/stats`],
      ['POST', `/api/tanks/${tankId}/pause`],
      ['GET', `/gateway/tanks/${tankId}`],
    ] as const) {
      const problem = await expectProblem(
        await stack.call(path, { method, user: 'alice' }),
        503,
        'tank_unavailable',
      );
      expect(problem).toMatchObject({ tank_id: tankId, server_id: serverId });
    }
    // The listing still shows the tank, marked unavailable.
    const list = await stack.json<{ tanks: Array<{ tank: { tank_id: string }; available: boolean }> }>(
      '/api/tanks?limit=100',
      200,
      { user: 'alice' },
    );
    expect(list.tanks.find((t) => t.tank.tank_id === tankId)?.available).toBe(false);

    stack.registry.updateCheck(checkId, 'passing', 'back');
    await waitFor(() => stack.gateway.ctx.directory.isAvailable(serverId), { what: `${serverId} passing` });
    expect((await stack.call(`/api/tanks/${tankId}/stats`, { user: 'alice' })).status).toBe(200);
  });

  it('should delete the tank of a down server from the tables, and the server should drop it on its next write', async () => {
    const { tank } = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Stranded', is_public: false },
    });
    const id = tank.tank_id;
    const host = stack.servers.find((s) => s.server.serverId === tank.server_id)!;
    const checkId = `service:${tank.server_id}:ttl`;
    stack.registry.updateCheck(checkId, 'critical', 'stopped by the test');
    await waitFor(() => !stack.gateway.ctx.directory.isAvailable(tank.server_id), { what: 'owner critical' });
    expect(await stack.json(`/api/tanks/${id}`, 200, { method: 'DELETE', user: 'alice' })).toMatchObject({
      tank_id: id,
    });
    expect(await getTank(stack.store.db, id)).toBeUndefined();
    expect(await getLocation(stack.store.db, id)).toBeUndefined();

    stack.registry.updateCheck(checkId, 'passing', 'back');
    await waitFor(() => stack.gateway.ctx.directory.isAvailable(tank.server_id), { what: 'owner passing' });
    await expectProblem(await stack.call(`/gateway/tanks/${id}`, { user: 'alice' }), 404, 'tank_not_found');
    // It runs there until its next snapshot write, which finds no location and is fenced.
    await waitFor(() => host.server.host.get(id) === undefined, { what: 'the server to drop the tank' });
  });
});
