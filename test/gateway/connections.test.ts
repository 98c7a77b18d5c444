/**
 * @module
 * Tubes between tanks at the gateway: an admin of the source connects it to a tank that takes
 * transfers (or is their own), the tube shows on both tanks, in the tank's JSON and in the
 * network-wide list (only to who may read both ends), an admin of either end cuts it, and each
 * bad request (garbage, a stranger, a private or closed destination, a loop, a duplicate) gets
 * its problem+json.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

interface Connection {
  connection_id: string;
  source_tank_id: string;
  dest_tank_id: string;
  source_mouth: string;
  dest_mouth: string;
  direction: string;
  rate_per_minute: number;
  created_at: string;
}

async function tank(user: string, body: Record<string, unknown>): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user,
    body: { initial_fish: 0, ...body },
  });
  return tank.tank_id;
}

let reef: string;
let lagoon: string;
let closed: string;
let secret: string;
let bobs: string;

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 2 });
  reef = await tank('alice', { name: 'Reef' });
  lagoon = await tank('alice', { name: 'Lagoon', allow_transfers: false });
  closed = await tank('bob', { name: 'Closed', allow_transfers: false });
  secret = await tank('bob', { name: 'Secret', is_public: false });
  bobs = await tank('bob', { name: 'Open' });
}, 120_000);

async function problem(res: Response, status: number, code: string): Promise<void> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { code: string };
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
}

const connect = (from: string, body: unknown, user = 'alice') =>
  stack.call(`/api/tanks/${from}/connections`, { method: 'POST', user, body });

describe('tank connections', () => {
  it('should connect, list on both ends and in the tank JSON, and cut', async () => {
    const made = await stack.json<Connection>(`/api/tanks/${reef}/connections`, 201, {
      method: 'POST',
      user: 'alice',
      body: { to_tank_id: bobs, mouth: 'top', direction: 'both', rate_per_minute: 120 },
    });
    expect(made).toMatchObject({
      source_tank_id: reef,
      dest_tank_id: bobs,
      source_mouth: 'top',
      dest_mouth: 'bottom',
      direction: 'both',
      rate_per_minute: 120,
    });
    for (const [id, user] of [
      [reef, 'alice'],
      [bobs, 'carol'],
    ] as const) {
      const { connections } = await stack.json<{ connections: Connection[] }>(
        `/api/tanks/${id}/connections`,
        200,
        {
          user,
        },
      );
      expect(connections).toEqual([made]);
    }
    const own = await stack.json<{ connections: Connection[] }>(`/api/tanks/${reef}`, 200, { user: 'carol' });
    expect(own.connections).toEqual([made]);
    const all = await stack.json<{ connections: Connection[]; next_cursor: null }>(
      '/api/connections',
      200,
      {},
    );
    expect(all).toEqual({ connections: [made], next_cursor: null });

    // Bob, admin of the far end, may cut it; Carol, a reader, may not.
    await problem(
      await stack.call(`/api/tanks/${bobs}/connections/${made.connection_id}`, {
        method: 'DELETE',
        user: 'carol',
      }),
      403,
      'forbidden',
    );
    const cut = await stack.call(`/api/tanks/${bobs}/connections/${made.connection_id}`, {
      method: 'DELETE',
      user: 'bob',
    });
    expect(cut.status).toBe(204);
    await problem(
      await stack.call(`/api/tanks/${bobs}/connections/${made.connection_id}`, {
        method: 'DELETE',
        user: 'bob',
      }),
      404,
      'connection_not_found',
    );
    expect(
      (await stack.json<{ connections: Connection[] }>(`/api/tanks/${reef}`, 200, { user: 'carol' }))
        .connections,
    ).toEqual([]);
  });

  it('should refuse a tube into a closed tank of someone else, and take one into a closed tank of your own', async () => {
    await problem(await connect(reef, { to_tank_id: closed }), 403, 'transfers_not_allowed');
    const own = await stack.json<Connection>(`/api/tanks/${reef}/connections`, 201, {
      method: 'POST',
      user: 'alice',
      body: { to_tank_id: lagoon },
    });
    expect(own).toMatchObject({
      source_mouth: 'right',
      dest_mouth: 'left',
      direction: 'one_way',
      rate_per_minute: 60,
    });
    await problem(await connect(reef, { to_tank_id: lagoon }), 409, 'connection_exists');
    // The reverse pair is another tube.
    expect((await connect(lagoon, { to_tank_id: reef })).status).toBe(201);
  });

  it('should answer a private destination the caller may not read as a missing tank', async () => {
    await problem(await connect(reef, { to_tank_id: secret }), 404, 'tank_not_found');
    await problem(
      await connect(reef, { to_tank_id: '00000000-0000-4000-8000-000000000000' }),
      404,
      'tank_not_found',
    );
    // Bob's tube from his open tank into his secret one is his to see; nobody else lists it.
    const hidden = await stack.json<Connection>(`/api/tanks/${bobs}/connections`, 201, {
      method: 'POST',
      user: 'bob',
      body: { to_tank_id: secret },
    });
    const listed = async (user: string, path: string) =>
      (await stack.json<{ connections: Connection[] }>(path, 200, { user })).connections.map(
        (c) => c.connection_id,
      );
    expect(await listed('bob', '/api/connections')).toContain(hidden.connection_id);
    expect(await listed('carol', '/api/connections')).not.toContain(hidden.connection_id);
    expect(await listed('carol', `/api/tanks/${bobs}/connections`)).not.toContain(hidden.connection_id);
  });

  it('should refuse strangers, loops and garbage with problem+json', async () => {
    await problem(await connect(reef, { to_tank_id: bobs }, 'carol'), 403, 'forbidden');
    await problem(
      await stack.call(`/api/tanks/${reef}/connections`, { method: 'POST', body: { to_tank_id: bobs } }),
      401,
      'missing_token',
    );
    await problem(await connect(reef, { to_tank_id: reef }), 400, 'same_tank');
    for (const body of [
      {},
      { to_tank_id: 'not-a-uuid' },
      { to_tank_id: bobs, mouth: 'middle' },
      { to_tank_id: bobs, direction: 'sideways' },
      { to_tank_id: bobs, rate_per_minute: 0 },
      { to_tank_id: bobs, rate_per_minute: 601 },
      { to_tank_id: bobs, rate_per_minute: 1.5 },
      { to_tank_id: bobs, extra: true },
      [],
      'x',
    ]) {
      const res = await connect(reef, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await res.body?.cancel();
    }
    const raw = await stack.call(`/api/tanks/${reef}/connections`, {
      method: 'POST',
      user: 'alice',
      rawBody: '{"to_tank_id":',
    });
    expect(raw.status).toBe(400);
    await raw.body?.cancel();
    await problem(
      await stack.call(`/api/tanks/${reef}/connections/nope`, { method: 'DELETE', user: 'alice' }),
      404,
      'connection_not_found',
    );
    await problem(await stack.call('/api/tanks/nope/connections', { user: 'alice' }), 404, 'tank_not_found');
    for (const query of ['limit=0', 'limit=x', 'cursor=garbage', 'other=1']) {
      const res = await stack.call(`/api/connections?${query}`, { user: 'alice' });
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await res.body?.cancel();
    }
  });

  it('should page the network-wide list and drop tubes with their tank', async () => {
    const a = await tank('dave', { name: 'A' });
    const b = await tank('dave', { name: 'B' });
    const c = await tank('dave', { name: 'C' });
    for (const [from, to] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      await stack.json(`/api/tanks/${from}/connections`, 201, {
        method: 'POST',
        user: 'dave',
        body: { to_tank_id: to },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { connections: Connection[]; next_cursor: string | null } = await stack.json(
        `/api/connections?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        200,
        { user: 'dave' },
      );
      expect(page.connections.length).toBeLessThanOrEqual(2);
      seen.push(...page.connections.map((x) => `${x.source_tank_id}>${x.dest_tank_id}`));
      cursor = page.next_cursor;
    } while (cursor);
    for (const pair of [`${a}>${b}`, `${b}>${c}`, `${c}>${a}`]) expect(seen).toContain(pair);
    expect(new Set(seen).size).toBe(seen.length);
    await stack.json(`/api/tanks/${b}`, 200, { method: 'DELETE', user: 'dave' });
    const left = await stack.json<{ connections: Connection[] }>(`/api/tanks/${a}/connections`, 200, {
      user: 'dave',
    });
    expect(left.connections.map((x) => `${x.source_tank_id}>${x.dest_tank_id}`)).toEqual([`${c}>${a}`]);
  });
});
