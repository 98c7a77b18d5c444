/**
 * @module
 * Every route the gateway documents in `/openapi.json`, refused to every caller who should not
 * pass: no token, a token signed with another secret, an expired token (401); a user with no
 * grant on a private tank, and a read-only user on a write or admin route (403). The route list
 * comes from the document, so a new route without an entry in `ROUTES` fails here. A user with no
 * grant on a private tank is told it does not exist (404, as for a missing tank: a 403 would reveal
 * it), a user without the operator scope is refused the operator's routes (403). The tank
 * servers' internal API refuses unsigned, altered, replayed and stale calls. A request with no
 * credential at all reads as a guest where the first visit needs it (the marked GET routes): a
 * private tank does not exist for it (404), and the lists show it nothing private.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken, signRequest } from '../../src/auth/index.ts';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

type Level = 'read' | 'write' | 'admin';

/** Real ids made in `beforeAll`, substituted into paths and bodies. */
interface Ids {
  /** Alice's private tank: Bob holds nothing on it, Rita holds `read`. */
  tank: string;
  /** A second private tank of Alice's (the transfer's other end), Rita holds `read`. */
  other: string;
  snapshot: string;
  fish: number;
  transfer: string;
}

interface RouteCase {
  /** The level the route needs on the tank it names; absent for routes that name no tank. */
  needed?: Level;
  /** Path parameters; `{id}` is the private tank unless given. */
  params?: (ids: Ids) => Record<string, string>;
  query?: (ids: Ids) => Record<string, string>;
  body?: (ids: Ids) => unknown;
  /** What a user with no grant is told: the tank (or, for a transfer, the transfer) is not found. */
  hidden?: 'tank_not_found' | 'not_found';
  /** Only tokens with the operator scope may call it. */
  operator?: true;
  /** Read as a guest when no credential at all comes (the web app's first visit). */
  guest?: true;
}

/**
 * Documented routes that take no token. Signing in takes the token in its body and signing out
 * needs none; both are covered in `session.test.ts`.
 */
// Prometheus's service discovery is as open as the /metrics it points at (docs/metrics.md).
const PUBLIC = new Set([
  'GET /health',
  'GET /metrics',
  'GET /internal/prometheus/targets',
  'POST /api/session',
  'DELETE /api/session',
]);

const ROUTES: Record<string, RouteCase> = {
  'GET /api/tanks': { guest: true },
  'POST /api/tanks': { body: () => ({ name: 'Intruder', is_public: false }) },
  'DELETE /api/tanks/{id}': { needed: 'admin' },
  'GET /api/tanks/{id}': { needed: 'read', guest: true },
  'GET /api/tanks/{id}/entities': { needed: 'read', guest: true },
  'GET /api/tanks/{id}/entities/{entity_id}': {
    needed: 'read',
    guest: true,
    params: (ids) => ({ id: ids.tank, entity_id: String(ids.fish) }),
  },
  'GET /api/tanks/{id}/entities/{entity_id}/export': {
    needed: 'read',
    guest: true,
    params: (ids) => ({ id: ids.tank, entity_id: String(ids.fish) }),
  },
  // Names no tank: it counts only the tanks the caller may read (lineage.test.ts).
  'GET /api/lineages/{lineage_id}': { guest: true, params: () => ({ lineage_id: 'nobody.1' }) },
  'GET /api/tanks/{id}/stats': { needed: 'read', guest: true },
  'GET /api/tanks/{id}/deaths': { needed: 'read', guest: true },
  'GET /api/tanks/{id}/snapshots': { needed: 'read', guest: true },
  'POST /api/tanks/{id}/pause': { needed: 'write' },
  'POST /api/tanks/{id}/resume': { needed: 'write' },
  'POST /api/tanks/{id}/fish': { needed: 'write', body: () => ({}) },
  'POST /api/tanks/{id}/food': { needed: 'write', body: () => ({ count: 1 }) },
  'POST /api/tanks/{id}/snapshots': { needed: 'write' },
  'POST /api/tanks/{id}/snapshots/{snapshot_id}/restore': {
    needed: 'admin',
    params: (ids) => ({ id: ids.tank, snapshot_id: ids.snapshot }),
  },
  'POST /api/tanks/{id}/move': { needed: 'admin', body: () => ({ server_id: 'server-nowhere' }) },
  'GET /api/tanks/{id}/permissions': { needed: 'admin', guest: true },
  'POST /api/tanks/{id}/permissions': {
    needed: 'admin',
    body: () => ({ user_id: 'rita', permission: 'admin' }),
  },
  'DELETE /api/tanks/{id}/permissions/{user_id}': {
    needed: 'admin',
    params: (ids) => ({ id: ids.tank, user_id: 'rita' }),
  },
  'GET /api/tanks/{id}/connections': { needed: 'read', guest: true },
  'POST /api/tanks/{id}/connections': { needed: 'admin', body: (ids) => ({ to_tank_id: ids.other }) },
  'DELETE /api/tanks/{id}/connections/{connection_id}': {
    needed: 'admin',
    params: (ids) => ({ id: ids.tank, connection_id: '00000000-0000-4000-8000-000000000000' }),
  },
  'GET /api/connections': { guest: true },
  'GET /gateway/tanks/{id}': { needed: 'read', guest: true },
  'GET /api/tanks/{id}/server': { needed: 'read', guest: true },
  'POST /gateway/transfer': {
    needed: 'write',
    body: (ids) => ({ source_tank_id: ids.tank, dest_tank_id: ids.other, entity_id: ids.fish }),
  },
  'GET /api/transfers/{id}': { needed: 'read', params: (ids) => ({ id: ids.transfer }), hidden: 'not_found' },
  'GET /api/transfers': { needed: 'read', query: (ids) => ({ tank: ids.tank }) },
  'GET /api/audit': { operator: true },
  'POST /api/servers/{id}/drain': { operator: true, params: () => ({ id: 'server-1' }) },
  'GET /api/tanks/{id}/archive': { needed: 'admin', guest: true },
  // Imports name no existing tank; the archive tests cover what they refuse.
  'POST /api/tanks/import': { body: () => ({}) },
  'GET /api/archives': { operator: true },
  'GET /api/servers': { guest: true },
  'GET /api/events': {},
  'GET /api/session': {},
  'GET /api/session/ws-token': {},
};

const KEYS = Object.keys(ROUTES);

function target(key: string, ids: Ids): { method: string; path: string; body?: unknown } {
  const [method, template] = key.split(' ') as [string, string];
  const route = ROUTES[key]!;
  const params = route.params?.(ids) ?? { id: ids.tank };
  let path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${key}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  if (route.query) path += `?${new URLSearchParams(route.query(ids))}`;
  return { method, path, body: route.body?.(ids) };
}

const cleanup = useCleanup();
let stack: GatewayStack;
let ids: Ids;
const tokens: Record<'forged' | 'expired', string> = { forged: '', expired: '' };

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup });
  const create = (name: string) =>
    stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name, is_public: false, initial_fish: 0 },
    });
  const tank = (await create('Private')).tank.tank_id;
  const other = (await create('Elsewhere')).tank.tank_id;
  for (const id of [tank, other]) {
    await stack.json(`/api/tanks/${id}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'rita', permission: 'read' },
    });
  }
  const snapshot = await stack.json<{ snapshot_id: string }>(`/api/tanks/${tank}/snapshots`, 201, {
    method: 'POST',
    user: 'alice',
  });
  const moved = await stack.json<{ id: number }>(`/api/tanks/${tank}/fish`, 201, {
    method: 'POST',
    user: 'alice',
    body: {},
  });
  const transfer = await stack.json<{ transfer_id: string }>('/gateway/transfer', 200, {
    method: 'POST',
    user: 'alice',
    body: { source_tank_id: tank, dest_tank_id: other, entity_id: moved.id },
  });
  const fish = await stack.json<{ id: number }>(`/api/tanks/${tank}/fish`, 201, {
    method: 'POST',
    user: 'alice',
    body: {},
  });
  ids = { tank, other, snapshot: snapshot.snapshot_id, fish: fish.id, transfer: transfer.transfer_id };
  tokens.forged = await mintToken({ secret: 'another-secret-0123456789', userId: 'alice' });
  // Issued two hours ago for one minute: well past the verifier's few seconds of slack.
  tokens.expired = await mintToken({
    secret: SECRET,
    userId: 'alice',
    now: Date.now() - 7_200_000,
    ttlSeconds: 60,
  });
}, 60_000);

/** Sends one route's request and checks the refusal: status, problem+json, its code. */
async function expectRefused(
  key: string,
  as: { user?: string; rawToken?: string },
  status: number,
  code: string,
): Promise<void> {
  const { method, path, body } = target(key, ids);
  const res = await stack.call(path, { method, body, ...as });
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as { type?: unknown; code?: unknown };
  expect(problem.type).toBe(`/problems/${code}`);
}

describe('the route table', () => {
  it('should cover every route /openapi.json documents, and no route it does not', async () => {
    const doc = (await (await stack.call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const guarded = documented.filter((k) => !PUBLIC.has(k)).sort();
    expect(guarded).toEqual([...KEYS].sort());
    for (const key of guarded) expect(key).toMatch(/^\w+ \/(api|gateway)\//);
  });

  it('should let the owner through on every read route, so the ids below are real', async () => {
    for (const key of KEYS.filter((k) => ROUTES[k]!.needed === 'read')) {
      const { method, path } = target(key, ids);
      const res = await stack.call(path, { method, user: 'alice' });
      expect({ key, status: res.status }).toEqual({ key, status: 200 });
    }
  });
});

describe('a guest (no credential at all)', () => {
  it.each(KEYS.filter((k) => !ROUTES[k]!.guest))('should be refused %s with 401', async (key) => {
    await expectRefused(key, {}, 401, 'missing_token');
  });
  it.each(KEYS.filter((k) => ROUTES[k]!.guest && ROUTES[k]!.needed))(
    'should be told by %s that the private tank does not exist (404)',
    async (key) => {
      await expectRefused(key, {}, 404, 'tank_not_found');
    },
  );
  it('should see the servers, and no private tank in the list', async () => {
    expect((await stack.call('/api/servers')).status).toBe(200);
    const list = await stack.json<{ tanks: Array<{ tank: { tank_id: string } }> }>('/api/tanks', 200);
    expect(list.tanks.map((t) => t.tank.tank_id)).not.toContain(ids.tank);
    expect(list.tanks.map((t) => t.tank.tank_id)).not.toContain(ids.other);
  });
});

describe.each([
  { name: 'a token signed with another secret', as: { rawToken: 'forged' }, code: 'invalid_token' },
  { name: 'an expired token', as: { rawToken: 'expired' }, code: 'expired_token' },
])('with $name', ({ as, code }) => {
  it.each(KEYS)('should refuse %s with 401', async (key) => {
    const rawToken = as.rawToken ? tokens[as.rawToken as keyof typeof tokens] : undefined;
    await expectRefused(key, rawToken === undefined ? {} : { rawToken }, 401, code);
  });
});

describe('a user with no grant on a private tank', () => {
  it.each(KEYS.filter((k) => ROUTES[k]!.needed !== undefined))(
    'should be told by %s that it does not exist (404)',
    async (key) => {
      await expectRefused(key, { user: 'bob' }, 404, ROUTES[key]!.hidden ?? 'tank_not_found');
    },
  );
});

describe('a user without the operator scope', () => {
  it.each(KEYS.filter((k) => ROUTES[k]!.operator))('should be refused %s with 403', async (key) => {
    await expectRefused(key, { user: 'alice' }, 403, 'forbidden');
  });
});

describe('a read-only user', () => {
  it.each(KEYS.filter((k) => ROUTES[k]!.needed === 'write' || ROUTES[k]!.needed === 'admin'))(
    'should be refused %s with 403',
    async (key) => {
      await expectRefused(key, { user: 'rita' }, 403, 'forbidden');
    },
  );
});

describe("a tank server's internal API", () => {
  /** One POST to the first server; `sign` is what the headers were made for, `send` what goes out. */
  async function post(path: string, send: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${stack.servers[0]!.server.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: send,
    });
  }
  const createBody = () =>
    JSON.stringify({ tank_id: randomUUID(), name: 'Smuggled', owner: 'mallory', seed: 1 });

  async function expectSignatureRefused(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { type?: unknown }).type).toBe('/problems/invalid_signature');
  }

  it('should refuse every documented internal route unsigned', async () => {
    const res = await fetch(`${stack.servers[0]!.server.url}/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/internal/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method, path })));
    expect(routes.map((r) => r.path)).toContain('/internal/tanks');
    for (const { method, path } of routes) {
      const filled = path.replace(/\{\w+\}/g, () => randomUUID());
      const answer = await fetch(`${stack.servers[0]!.server.url}${filled}`, {
        method: method.toUpperCase(),
        headers: { 'content-type': 'application/json' },
        body: method === 'get' ? undefined : '{}',
      });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
    }
  });

  it('should refuse a body altered after signing', async () => {
    const body = createBody();
    const headers = signRequest({ secret: SECRET, method: 'POST', path: '/internal/tanks', body });
    await expectSignatureRefused(await post('/internal/tanks', body.replace('mallory', 'alice'), headers));
  });

  it('should accept a signed call once and refuse its replay', async () => {
    const body = createBody();
    const headers = signRequest({ secret: SECRET, method: 'POST', path: '/internal/tanks', body });
    expect((await post('/internal/tanks', body, headers)).status).toBe(201);
    await expectSignatureRefused(await post('/internal/tanks', body, headers));
  });

  it('should refuse a call signed 60 s ago', async () => {
    const body = createBody();
    const headers = signRequest({
      secret: SECRET,
      method: 'POST',
      path: '/internal/tanks',
      body,
      now: Date.now() - 60_000,
    });
    await expectSignatureRefused(await post('/internal/tanks', body, headers));
  });

  it('should refuse a call signed with another secret', async () => {
    const body = createBody();
    const headers = signRequest({
      secret: 'another-secret-0123456789',
      method: 'POST',
      path: '/internal/tanks',
      body,
    });
    await expectSignatureRefused(await post('/internal/tanks', body, headers));
  });
});
