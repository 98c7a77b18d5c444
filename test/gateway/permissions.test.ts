/**
 * @module
 * Grants on a tank, managed by its admins (the creator is one): a read grant lets Bob read and
 * not write, a write grant lets him write and not administer, a revoke takes it all back at
 * once on this gateway, and the tank's server, asked directly with Bob's token, agrees with the
 * gateway at every step. Without a grant a private tank answers 404, exactly as a tank that does
 * not exist (a 403 would tell that it exists; `src/gateway/access.ts`); a reader who lacks write
 * or admin gets 403.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let serverId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 1, databaseUrl: db.url });
  const { tank } = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Guarded', is_public: false },
  });
  tankId = tank.tank_id;
  serverId = tank.server_id;
}, 120_000);

function owner() {
  return stack.servers.find((s) => s.server.serverId === serverId)!;
}

/** Status of each probe for `user`, through the gateway and (for the forwarded ones) at the server. */
async function statuses(user: string): Promise<Record<string, number>> {
  const server = owner();
  const probes: Record<string, () => Promise<Response>> = {
    lookup: () => stack.call(`/gateway/tanks/${tankId}`, { user }),
    stats: () => stack.call(`/api/tanks/${tankId}/stats`, { user }),
    pause: () => stack.call(`/api/tanks/${tankId}/pause`, { method: 'POST', user }),
    resume: () => stack.call(`/api/tanks/${tankId}/resume`, { method: 'POST', user }),
    grants: () => stack.call(`/api/tanks/${tankId}/permissions`, { user }),
    'server stats': () => server.request(`/api/tanks/${tankId}/stats`, { user }),
    'server pause': () => server.request(`/api/tanks/${tankId}/pause`, { method: 'POST', user }),
    'server resume': () => server.request(`/api/tanks/${tankId}/resume`, { method: 'POST', user }),
  };
  const out: Record<string, number> = {};
  for (const [name, probe] of Object.entries(probes)) {
    const res = await probe();
    if (res.status >= 400) {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    await res.body?.cancel();
    out[name] = res.status;
  }
  return out;
}

async function grant(permission: string, by = 'alice', user = 'bob'): Promise<Response> {
  return stack.call(`/api/tanks/${tankId}/permissions`, {
    method: 'POST',
    user: by,
    body: { user_id: user, permission },
  });
}

const NONE = {
  lookup: 404,
  stats: 404,
  pause: 404,
  resume: 404,
  grants: 404,
  'server stats': 404,
  'server pause': 404,
  'server resume': 404,
};

describe('tank permissions', () => {
  it('should make the creator admin: the owner, with an admin grant written at create', async () => {
    expect(await stack.json(`/api/tanks/${tankId}/permissions`, 200, { user: 'alice' })).toEqual({
      tank_id: tankId,
      owner: 'alice',
      permissions: [{ user_id: 'alice', permission: 'admin', granted_at: expect.any(String) }],
    });
    expect(await statuses('alice')).toEqual({
      lookup: 200,
      stats: 200,
      pause: 200,
      resume: 200,
      grants: 200,
      'server stats': 200,
      'server pause': 200,
      'server resume': 200,
    });
  });

  it('should refuse everything to Bob before any grant', async () => {
    expect(await statuses('bob')).toEqual(NONE);
  });

  it('should let Bob read and not write with read', async () => {
    const res = await grant('read');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tank_id: tankId,
      user_id: 'bob',
      permission: 'read',
      granted_at: expect.any(String),
    });
    expect(await statuses('bob')).toEqual({
      lookup: 200,
      stats: 200,
      pause: 403,
      resume: 403,
      grants: 403,
      'server stats': 200,
      'server pause': 403,
      'server resume': 403,
    });
    expect((await grant('write', 'bob', 'mallory')).status).toBe(403);
    const listed = await stack.json<{ tanks: Array<{ tank: { tank_id: string } }> }>('/api/tanks', 200, {
      user: 'bob',
    });
    expect(listed.tanks.map((t) => t.tank.tank_id)).toContain(tankId);
  });

  it('should let Bob write and not administer with write', async () => {
    expect((await grant('write')).status).toBe(200);
    expect(await statuses('bob')).toEqual({
      lookup: 200,
      stats: 200,
      pause: 200,
      resume: 200,
      grants: 403,
      'server stats': 200,
      'server pause': 200,
      'server resume': 200,
    });
    const del = await stack.call(`/api/tanks/${tankId}`, { method: 'DELETE', user: 'bob' });
    expect(del.status).toBe(403);
    const listed = await stack.json<{ permissions: Array<{ user_id: string; permission: string }> }>(
      `/api/tanks/${tankId}/permissions`,
      200,
      { user: 'alice' },
    );
    expect(listed.permissions.map(({ user_id, permission }) => ({ user_id, permission }))).toEqual([
      { user_id: 'alice', permission: 'admin' },
      { user_id: 'bob', permission: 'write' },
    ]);
  });

  it('should take everything back on revoke, at once', async () => {
    const revoked = await stack.json(`/api/tanks/${tankId}/permissions/bob`, 200, {
      method: 'DELETE',
      user: 'alice',
    });
    expect(revoked).toEqual({ tank_id: tankId, user_id: 'bob', revoked: true });
    expect(await statuses('bob')).toEqual(NONE);
    const listed = await stack.json<{ tanks: Array<{ tank: { tank_id: string } }> }>('/api/tanks', 200, {
      user: 'bob',
    });
    expect(listed.tanks.map((t) => t.tank.tank_id)).not.toContain(tankId);
    const again = await stack.call(`/api/tanks/${tankId}/permissions/bob`, {
      method: 'DELETE',
      user: 'alice',
    });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'not_found' });
  });

  it('should let a granted admin manage grants, and keep the owner admin', async () => {
    expect((await grant('admin', 'alice', 'carol')).status).toBe(200);
    expect((await grant('read', 'carol', 'dave')).status).toBe(200);
    expect((await stack.call(`/gateway/tanks/${tankId}`, { user: 'dave' })).status).toBe(200);
    const demote = await grant('read', 'carol', 'alice');
    expect(demote.status).toBe(409);
    expect(await demote.json()).toMatchObject({ code: 'conflict' });
    const removeOwner = await stack.call(`/api/tanks/${tankId}/permissions/alice`, {
      method: 'DELETE',
      user: 'carol',
    });
    expect(removeOwner.status).toBe(409);
    expect((await statuses('alice')).grants).toBe(200);
  });

  it("should hold another gateway's revoke here: forwarded writes at once, gateway-only reads once it is announced", async () => {
    const other = await stack.addGateway('gateway-other');
    expect((await grant('write', 'alice', 'erin')).status).toBe(200);
    const pause = () => stack.call(`/api/tanks/${tankId}/pause`, { method: 'POST', user: 'erin' });
    expect((await pause()).status).toBe(200);
    expect((await stack.call(`/gateway/tanks/${tankId}`, { user: 'erin' })).status).toBe(200);
    await stack.json(`/api/tanks/${tankId}/resume`, 200, { method: 'POST', user: 'alice' });
    await stack.json(`/api/tanks/${tankId}/permissions/erin`, 200, {
      method: 'DELETE',
      user: 'alice',
      via: other,
    });
    // Whether or not this gateway has heard of the revoke yet, the tank's server reads the grants
    // itself: no write slips through in between (and erin, with no level left, is told no tank).
    const refused = await pause();
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(owner().server.host.get(tankId)!.status).toBe('running');
    // The lookup is answered here alone: it follows once permission_changed arrives, well
    // before the 5 s a cached level would otherwise be trusted.
    await waitFor(
      async () => (await stack.call(`/gateway/tanks/${tankId}`, { user: 'erin' })).status === 404,
      { what: 'the revoke to reach this gateway', timeout: 3000 },
    );
  });

  it('should refuse bad grant bodies with 400 problem+json', async () => {
    for (const body of [
      { user_id: 'bob', permission: 'owner' },
      { user_id: 'bob' },
      { user_id: '', permission: 'read' },
      { user_id: 7, permission: 'read' },
      { user_id: 'bob', permission: 'read', until: 'tomorrow' },
    ]) {
      const res = await stack.call(`/api/tanks/${tankId}/permissions`, {
        method: 'POST',
        user: 'alice',
        body,
      });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(await res.json()).toMatchObject({ code: 'invalid_request' });
    }
  });

  it('should answer 404 for grants on an unknown tank', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, body] of [
      ['GET', `/api/tanks/${unknown}/permissions`, undefined],
      ['POST', `/api/tanks/${unknown}/permissions`, { user_id: 'bob', permission: 'read' }],
      ['DELETE', `/api/tanks/${unknown}/permissions/bob`, undefined],
    ] as const) {
      const res = await stack.call(path, { method, user: 'alice', body });
      expect({ method, status: res.status }).toEqual({ method, status: 404 });
      expect(await res.json()).toMatchObject({ code: 'tank_not_found' });
    }
  });
});
