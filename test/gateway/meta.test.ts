/**
 * @module
 * What the gateway says about the network: `GET /api/servers` (discovery's view with live load
 * and tank counts; `stale: true` from the `servers` table when Consul cannot be reached),
 * `GET /api/events` read as a real Server-Sent Events stream (tank created and deleted, a
 * server whose heartbeat stops going down and coming back, another user's private tank
 * hidden), `/health`, and the per-route latency histograms on `/metrics`. The registry runs on
 * a manual clock, so a heartbeat stops by time moving on without it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createConsulDiscovery } from '../../src/discovery/index.ts';
import { createManualClock, type ManualClock } from '../discovery/manual-clock.ts';
import { type EventStream, freePort, openEventStream, useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let clock: ManualClock;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  clock = createManualClock(Date.now());
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url, clock });
}, 120_000);

/** An open `GET /api/events` over real HTTP, parsed as it arrives. */
async function openEvents(user: string, { viaQuery = false } = {}): Promise<EventStream> {
  const token = await mintToken({ secret: SECRET, userId: user });
  const url = `${stack.gateway.url}/api/events${viaQuery ? `?token=${token}` : ''}`;
  const headers: Record<string, string> = viaQuery ? {} : { authorization: `Bearer ${token}` };
  return openEventStream({ url, headers, cleanup });
}

async function create(user: string, name: string, isPublic: boolean): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user,
    body: { name, is_public: isPublic },
  });
  return tank.tank_id;
}

interface ServersView {
  servers: Array<{ server_id: string; health: string; status: string; tank_count: number; load: unknown }>;
  count: number;
  stale: boolean;
  as_of: string | null;
}

describe('GET /api/servers', () => {
  it("should list every server with discovery's health, its live load and its tank count", async () => {
    const id = await create('alice', 'Counted', true);
    const owner = (
      await stack.json<{ tank: { server_id: string } }>(`/gateway/tanks/${id}`, 200, { user: 'alice' })
    ).tank.server_id;
    const view = await stack.json<ServersView>('/api/servers', 200, { user: 'alice' });
    expect(view).toMatchObject({ count: 2, stale: false, as_of: expect.any(String) });
    expect(view.servers.map((s) => s.server_id)).toEqual(['server-1', 'server-2']);
    for (const s of view.servers) {
      const server = stack.servers.find((t) => t.server.serverId === s.server_id)!.server;
      expect(s).toMatchObject({
        health: 'passing',
        status: 'online',
        host: '127.0.0.1',
        port: server.port,
        tank_count: server.host.list().length,
        load: {
          tank_count: expect.any(Number),
          cpu_percent: expect.any(Number),
          memory_mb: expect.any(Number),
          updated_at: expect.any(String),
        },
      });
    }
    expect(view.servers.find((s) => s.server_id === owner)!.tank_count).toBeGreaterThanOrEqual(1);
  });

  it('should answer from the servers table, marked stale, when Consul cannot be reached', async () => {
    const consul = createConsulDiscovery({
      consulAddr: `127.0.0.1:${await freePort()}`,
      requestTimeoutMs: 500,
      retryBaseMs: 200,
      retryMaxMs: 500,
    });
    cleanup.add(consul);
    const gateway = await stack.addGateway('gateway-no-consul', { discovery: consul });
    const view = await stack.json<ServersView>('/api/servers', 200, { user: 'alice', via: gateway });
    expect(view.stale).toBe(true);
    expect(view.servers.map((s) => s.server_id)).toEqual(['server-1', 'server-2']);
    expect(view.servers.every((s) => s.health === 'passing')).toBe(true);
    // The tanks still answer through that gateway: the table said where the servers are.
    const id = await create('alice', 'Degraded', true);
    expect((await stack.call(`/api/tanks/${id}/stats`, { user: 'alice', via: gateway })).status).toBe(200);
  });
});

describe('GET /api/events', () => {
  it('should stream tank_created and tank_deleted to the owner', async () => {
    const stream = await openEvents('alice');
    const id = await create('alice', 'Announced', false);
    const created = await stream.next(
      (e) => e.event === 'tank_created' && e.data.tank_id === id,
      'tank_created',
    );
    expect(created.data).toMatchObject({ type: 'tank_created', tank_id: id, server_id: expect.any(String) });
    await stack.json(`/api/tanks/${id}`, 200, { method: 'DELETE', user: 'alice' });
    const deleted = await stream.next(
      (e) => e.event === 'tank_deleted' && e.data.tank_id === id,
      'tank_deleted',
    );
    expect(deleted.data).toMatchObject({ type: 'tank_deleted', tank_id: id });
  });

  it("should not show another user's private tank, and show their public one", async () => {
    const bob = await openEvents('bob', { viaQuery: true });
    const hidden = await create('alice', 'Secret', false);
    const shown = await create('alice', 'Open', true);
    await bob.next((e) => e.event === 'tank_created' && e.data.tank_id === shown, 'the public tank_created');
    // Events arrive in order: the private tank's would have come first.
    expect(bob.events.filter((e) => e.data.tank_id === hidden)).toEqual([]);
    // A grant makes its later events visible.
    await stack.json(`/api/tanks/${hidden}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'bob', permission: 'read' },
    });
    await stack.realtime.publish({
      type: 'tank_created',
      tank_id: hidden,
      server_id: 'server-1',
      at: new Date().toISOString(),
    });
    await bob.next((e) => e.data.tank_id === hidden, 'the granted tank’s event');
  });

  it("should stream tank_deleted only to those who could read the tank, not for another user's private one", async () => {
    const bob = await openEvents('bob');
    const rita = await openEvents('rita');
    const hidden = await create('alice', 'Private, going', false);
    const shown = await create('alice', 'Public, going', true);
    await stack.json(`/api/tanks/${hidden}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'rita', permission: 'read' },
    });
    // The private tank goes first: events arrive in order, so had bob's stream carried it, it
    // would be there by the time the public one's arrives.
    await stack.json(`/api/tanks/${hidden}`, 200, { method: 'DELETE', user: 'alice' });
    await stack.json(`/api/tanks/${shown}`, 200, { method: 'DELETE', user: 'alice' });
    await bob.next((e) => e.event === 'tank_deleted' && e.data.tank_id === shown, 'the public tank_deleted');
    expect(bob.events.filter((e) => e.data.tank_id === hidden)).toEqual([]);
    // A user granted a level on the private tank is told it went.
    await rita.next(
      (e) => e.event === 'tank_deleted' && e.data.tank_id === hidden,
      'the granted tank_deleted',
    );
  });

  it('should stream server_down when a server stops its heartbeat, and server_up when it comes back', async () => {
    const stream = await openEvents('carol');
    // server-1 keeps beating (its check is passed), server-2 does not: only its TTL lapses.
    clock.advance(20_000);
    stack.registry.updateCheck('service:server-1:ttl', 'passing', 'beat');
    clock.advance(11_000);
    const down = await stream.next((e) => e.event === 'server_down', 'server_down');
    expect(down.data).toMatchObject({ type: 'server_down', server_id: 'server-2' });
    const health = await stack.json<{ servers: Record<string, number> }>('/health', 200);
    expect(health.servers).toEqual({ passing: 1, warning: 0, critical: 1 });
    const view = await stack.json<ServersView>('/api/servers', 200, { user: 'carol' });
    expect(view.servers.find((s) => s.server_id === 'server-2')).toMatchObject({
      health: 'critical',
      status: 'offline',
    });

    stack.registry.updateCheck('service:server-2:ttl', 'passing', 'beat again');
    const up = await stream.next((e) => e.event === 'server_up', 'server_up');
    expect(up.data).toMatchObject({ type: 'server_up', server_id: 'server-2' });
    expect(stream.events.filter((e) => e.event.startsWith('server_')).map((e) => e.data.server_id)).toEqual([
      'server-2',
      'server-2',
    ]);
  });
});

describe('/health and /metrics', () => {
  it('should say healthy with the servers by health, without a token', async () => {
    const health = await stack.json('/health', 200);
    expect(health).toEqual({
      status: 'healthy',
      gateway_id: 'gateway-test',
      version: expect.any(String),
      servers: { passing: 2, warning: 0, critical: 0 },
      uptime_seconds: expect.any(Number),
    });
  });

  it('should expose a latency histogram per route', async () => {
    const id = await create('alice', 'Measured', true);
    await stack.json(`/gateway/tanks/${id}`, 200, { user: 'alice' });
    await stack.json(`/api/tanks/${id}/stats`, 200, { user: 'alice' });
    await stack.call('/gateway/tanks/00000000-0000-4000-8000-000000000000', { user: 'alice' });
    const res = await stack.call('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const series = (route: string, method: string, status: number) =>
      new RegExp(
        `^tankworld_gateway_http_request_duration_seconds_count\\{[^}]*method="${method}"[^}]*route="${route.replace(/[/:]/g, '\\$&')}"[^}]*status="${status}"[^}]*\\} [1-9]`,
        'm',
      );
    expect(text).toMatch(series('/gateway/tanks/:id', 'GET', 200));
    expect(text).toMatch(series('/gateway/tanks/:id', 'GET', 404));
    expect(text).toMatch(series('/api/tanks/:id/stats', 'GET', 200));
    expect(text).toMatch(series('/api/tanks', 'POST', 201));
    expect(text).toMatch(/^tankworld_gateway_http_request_duration_seconds_bucket\{[^}]*le="0\.005"/m);
    // A route label is the pattern, never the id: the series stay bounded.
    expect(text).not.toContain(id);
  });
});
