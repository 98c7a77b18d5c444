/**
 * @module
 * The network-wide tank API on the harness PostgreSQL: create (201 with the lookup answer and
 * its rows), no orphan whatever fails (the server's own write, a dead server, an answer lost
 * after the server committed), 503 when no server is healthy, delete (admin only, gone from
 * the server and every table), and the paginated listing with servers and live stats.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolveServer } from '../../src/server-client/index.ts';
import { getLocation, getTank, listPermissions } from '../../src/store/index.ts';
import { freePort, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let sql: postgres.Sql;

interface Created {
  tank: { tank_id: string; server_id: string; owner: string; name: string };
  server: { server_id: string; host: string; port: number };
  websocket_url: string;
}

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  // Heartbeats every 250 ms: the listing's live stats come from them.
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url, heartbeatMs: 250 });
  sql = cleanup.add(postgres(db.url, { max: 1, onnotice: () => {} }));
}, 120_000);

function serverOf(serverId: string) {
  const found = stack.servers.find((s) => s.server.serverId === serverId);
  if (!found) throw new Error(`no server ${serverId}`);
  return found.server;
}

/**
 * Rows of the tanks named `name`, their location rows, and how many of them run on a server;
 * plus orphans anywhere: a tank running on a server its location row does not name.
 */
async function traces(
  name: string,
): Promise<{ rows: number; locations: number; running: number; orphans: string[] }> {
  const rows = await sql<{ tank_id: string; server_id: string | null }[]>`
    select t.tank_id, l.server_id from tanks t left join tank_locations l on l.tank_id = t.tank_id
    where t.name = ${name}`;
  const running = rows.filter((r) => r.server_id !== null && serverOf(r.server_id).host.get(r.tank_id));
  const owners = new Map(
    (await sql<{ tank_id: string; server_id: string }[]>`select tank_id, server_id from tank_locations`).map(
      (r) => [r.tank_id, r.server_id],
    ),
  );
  const orphans = stack.servers.flatMap((s) =>
    s.server.host
      .list()
      .filter((t) => owners.get(t.id) !== s.server.serverId)
      .map((t) => `${t.id} on ${s.server.serverId}`),
  );
  return {
    rows: rows.length,
    locations: rows.filter((r) => r.server_id !== null).length,
    running: running.length,
    orphans,
  };
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `/problems/${code}`, code, status });
  return body;
}

/** A stand-in server that forwards to the real one and then drops the connection unanswered. */
async function answerLosingProxy(target: string): Promise<Server> {
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
    ) as Record<string, string>;
    await fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
    res.socket?.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
  return proxy;
}

describe('POST /api/tanks', () => {
  it('should create a tank, answer 201 with its websocket_url, and write its rows', async () => {
    const created = await stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Fresh', initial_fish: 3 },
    });
    const id = created.tank.tank_id;
    const server = serverOf(created.tank.server_id);
    expect(created.server).toEqual({ server_id: server.serverId, host: '127.0.0.1', port: server.port });
    expect(created.websocket_url).toBe(`ws://127.0.0.1:${server.port}/ws/${id}`);
    expect(created.tank.owner).toBe('alice');
    expect(server.host.get(id)).toBeDefined();
    expect((await getTank(stack.store.db, id))?.owner).toBe('alice');
    expect(await getLocation(stack.store.db, id)).toMatchObject({ tankId: id, serverId: server.serverId });
  });

  it("should leave no tank anywhere when every server's own write fails", async ({ onTestFinished }) => {
    // A real failure inside the servers' create transaction: the location insert raises.
    await sql.unsafe(`
      create or replace function tw_refuse_location() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from tanks where tank_id = new.tank_id and name = 'Poisoned') then
          raise exception 'location write refused by the test';
        end if;
        return new;
      end $$;
      create trigger tw_refuse_location before insert on tank_locations
        for each row execute function tw_refuse_location();`);
    onTestFinished(async () => {
      await sql.unsafe('drop trigger tw_refuse_location on tank_locations');
    });
    const res = await stack.call('/api/tanks', { method: 'POST', user: 'alice', body: { name: 'Poisoned' } });
    const problem = await expectProblem(res, 503, 'no_healthy_server');
    expect(String(problem.detail)).toMatch(/server-1.*server-2|server-2.*server-1/);
    expect(await traces('Poisoned')).toEqual({ rows: 0, locations: 0, running: 0, orphans: [] });
  });

  it('should place on the next server when one cannot be reached, leaving nothing on the dead one', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const resolveServer: ResolveServer = (id) => ({
      baseUrl: id === 'server-1' ? dead : serverOf(id).url,
    });
    const gateway = await stack.addGateway('gateway-dead-server-1', { resolveServer });
    const created = await stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Detour' },
      via: gateway,
    });
    expect(created.tank.server_id).toBe('server-2');
    expect(await traces('Detour')).toEqual({ rows: 1, locations: 1, running: 1, orphans: [] });
    expect(serverOf('server-1').host.get(created.tank.tank_id)).toBeUndefined();
  });

  it('should answer 503 and leave nothing when no server can be reached', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gateway = await stack.addGateway('gateway-all-dead', { resolveServer: () => ({ baseUrl: dead }) });
    const res = await stack.call('/api/tanks', {
      method: 'POST',
      user: 'alice',
      body: { name: 'Nowhere' },
      via: gateway,
    });
    await expectProblem(res, 503, 'no_healthy_server');
    expect(await traces('Nowhere')).toEqual({ rows: 0, locations: 0, running: 0, orphans: [] });
  });

  it('should answer 201 once, with the tank where it was committed, when the answer is lost', async () => {
    const proxy = await answerLosingProxy(serverOf('server-1').url);
    const port = (proxy.address() as AddressInfo).port;
    const gateway = await stack.addGateway('gateway-lossy', {
      resolveServer: (id) => ({ baseUrl: id === 'server-1' ? `http://127.0.0.1:${port}` : serverOf(id).url }),
      placement: {
        name: 'server-1 only',
        choose: (servers) => servers.find((s) => s.serverId === 'server-1')?.serverId,
      },
    });
    const created = await stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Unanswered' },
      via: gateway,
    });
    expect(created.tank.server_id).toBe('server-1');
    expect(await traces('Unanswered')).toEqual({ rows: 1, locations: 1, running: 1, orphans: [] });
  });
});

/** A stand-in that forwards every request at once but holds the first answer for `holdMs`. */
async function slowFirstAnswerProxy(
  target: string,
  holdMs: number,
): Promise<{ url: string; requests: () => number }> {
  let first = true;
  let requests = 0;
  const proxy = createServer(async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
    ) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: Buffer.concat(chunks),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (first) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, requests: () => requests };
}

describe('a create that times out after the server committed it', () => {
  it('should retry the same tank id and answer 201 once, with one tank', async () => {
    const slow = await slowFirstAnswerProxy(serverOf('server-1').url, 1000);
    const gateway = await stack.addGateway('gateway-slow', {
      resolveServer: (id) => ({ baseUrl: id === 'server-1' ? slow.url : serverOf(id).url }),
      placement: {
        name: 'server-1 only',
        choose: (servers) => servers.find((s) => s.serverId === 'server-1')?.serverId,
      },
      internalTimeoutMs: 300,
    });
    const created = await stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Timed out' },
      via: gateway,
    });
    expect(created.tank.server_id).toBe('server-1');
    // Two attempts reached the server: the first timed out after committing, the second was
    // told the tank exists, and the location row settled it.
    expect(slow.requests()).toBe(2);
    expect(await traces('Timed out')).toEqual({ rows: 1, locations: 1, running: 1, orphans: [] });
  });
});

describe('DELETE /api/tanks/{id}', () => {
  it('should refuse a writer, and for the admin remove the tank from its server and every table', async () => {
    const { tank } = await stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Short-lived' },
    });
    const id = tank.tank_id;
    await stack.json(`/api/tanks/${id}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'bob', permission: 'write' },
    });
    await expectProblem(
      await stack.call(`/api/tanks/${id}`, { method: 'DELETE', user: 'bob' }),
      403,
      'forbidden',
    );
    expect(serverOf(tank.server_id).host.get(id)).toBeDefined();

    const deleted = await stack.json(`/api/tanks/${id}`, 200, { method: 'DELETE', user: 'alice' });
    expect(deleted).toMatchObject({ tank_id: id });
    expect(serverOf(tank.server_id).host.get(id)).toBeUndefined();
    expect(await getTank(stack.store.db, id)).toBeUndefined();
    expect(await getLocation(stack.store.db, id)).toBeUndefined();
    expect(await listPermissions(stack.store.db, id)).toEqual([]);
    await expectProblem(await stack.call(`/gateway/tanks/${id}`, { user: 'alice' }), 404, 'tank_not_found');
    await expectProblem(
      await stack.call(`/api/tanks/${id}`, { method: 'DELETE', user: 'alice' }),
      404,
      'tank_not_found',
    );
  });
});

describe('GET /api/tanks', () => {
  interface Page {
    tanks: Array<{
      tank: { tank_id: string; owner: string; is_public: boolean };
      server: { server_id: string; host: string; port: number } | null;
      websocket_url: string | null;
      available: boolean;
      stats: { fish_count: number; frame: number } | null;
    }>;
    count: number;
    next_cursor: string | null;
  }

  it('should page through the caller’s tanks, oldest first, with server and live stats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { tank } = await stack.json<Created>('/api/tanks', 201, {
        method: 'POST',
        user: 'carol',
        body: { name: `Carol ${i}`, initial_fish: 2, is_public: false },
      });
      ids.push(tank.tank_id);
    }
    // Live stats arrive with the servers' next heartbeats.
    await waitFor(
      async () => {
        const all = await stack.json<Page>('/api/tanks?limit=10', 200, { user: 'carol' });
        const mine = all.tanks.filter((t) => ids.includes(t.tank.tank_id));
        return mine.length === 5 && mine.every((t) => t.stats !== null);
      },
      { what: 'live stats on every listed tank' },
    );

    const seen: Page['tanks'] = [];
    const cursors: Array<string | null> = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: Page = await stack.json<Page>(`/api/tanks?limit=2${query}`, 200, { user: 'carol' });
      expect(page.count).toBe(page.tanks.length);
      seen.push(...page.tanks);
      cursor = page.next_cursor;
      cursors.push(cursor);
    } while (cursor !== null);
    // Public tanks of others are listed too (before Carol's: older); hers come last, in order.
    expect(seen.map((t) => t.tank.tank_id).slice(-5)).toEqual(ids);
    expect(seen.filter((t) => t.tank.owner !== 'carol').every((t) => t.tank.is_public)).toBe(true);
    expect(cursors.at(-1)).toBeNull();
    expect(cursors.slice(0, -1).every((c) => c !== null)).toBe(true);
    expect(cursors.length).toBe(Math.ceil(seen.length / 2));
    for (const listed of seen.slice(-5)) {
      const server = serverOf(listed.server!.server_id);
      expect(listed).toMatchObject({
        tank: { owner: 'carol' },
        server: { server_id: server.serverId, host: '127.0.0.1', port: server.port },
        websocket_url: `ws://127.0.0.1:${server.port}/ws/${listed.tank.tank_id}`,
        available: true,
        stats: { fish_count: expect.any(Number), frame: expect.any(Number) },
      });
    }
    // Filtered by server: only that server's tanks, Carol's among them.
    for (const serverId of ['server-1', 'server-2']) {
      const page = await stack.json<Page>(`/api/tanks?limit=500&server_id=${serverId}`, 200, {
        user: 'carol',
      });
      expect(page.tanks.every((t) => t.server?.server_id === serverId)).toBe(true);
      const expected = seen.slice(-5).filter((t) => t.server?.server_id === serverId);
      expect(page.tanks.filter((t) => t.tank.owner === 'carol').map((t) => t.tank.tank_id)).toEqual(
        expected.map((t) => t.tank.tank_id),
      );
    }
    // Nobody else's private tanks; and another user sees none of Carol's.
    const dave = await stack.json<Page>('/api/tanks?limit=100', 200, { user: 'dave' });
    expect(dave.tanks.filter((t) => ids.includes(t.tank.tank_id))).toEqual([]);
  });

  it('should refuse a bad limit or cursor with 400 problem+json', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=abc', `cursor=${'x'.repeat(201)}`]) {
      const res = await stack.call(`/api/tanks?${query}`, { user: 'carol' });
      await expectProblem(res, 400, 'invalid_request');
    }
  });
});

describe('with no healthy server', () => {
  it('should answer POST /api/tanks with 503 no_healthy_server', async () => {
    const local = await startGatewayStack({ cleanup, servers: 1, databaseUrl: undefined });
    local.registry.updateCheck('service:server-1:ttl', 'critical', 'stopped by the test');
    await waitFor(() => local.gateway.ctx.directory.healthy().length === 0, { what: 'server-1 critical' });
    const res = await local.call('/api/tanks', { method: 'POST', user: 'alice', body: { name: 'Homeless' } });
    await expectProblem(res, 503, 'no_healthy_server');
    expect(await (await local.call('/api/tanks', { user: 'alice' })).json()).toMatchObject({ tanks: [] });
  });
});
