/**
 * @module
 * What the gateway must not tell a user: `GET /api/audit` (network-wide counts and every tank's
 * fish ids) is for operators only, and a private tank the caller may not read answers exactly
 * as a tank that does not exist (a 403 there told that it exists). A caller who may read it but
 * needs more still gets 403.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { getTank, revokePermission } from '../../src/store/index.ts';
import { useCleanup } from '../support/index.ts';
import { type CallOptions, type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
/** Alice's private tank: bob holds nothing on it, rita `read`. */
let privateId: string;
/** Alice's other private tank, the transfer's destination. */
let otherId: string;
let transferId: string;
/** A tank id nobody created. */
const MISSING = '00000000-0000-4000-8000-00000000abcd';

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 1 });
  const create = async (name: string) =>
    (
      await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
        method: 'POST',
        user: 'alice',
        body: { name, is_public: false, initial_fish: 0 },
      })
    ).tank.tank_id;
  privateId = await create('Private');
  otherId = await create('Other');
  await stack.json(`/api/tanks/${privateId}/permissions`, 200, {
    method: 'POST',
    user: 'alice',
    body: { user_id: 'rita', permission: 'read' },
  });
  const fish = await stack.json<{ id: number }>(`/api/tanks/${privateId}/fish`, 201, {
    method: 'POST',
    user: 'alice',
    body: {},
  });
  transferId = (
    await stack.json<{ transfer_id: string }>('/gateway/transfer', 200, {
      method: 'POST',
      user: 'alice',
      body: { source_tank_id: privateId, dest_tank_id: otherId, entity_id: fish.id },
    })
  ).transfer_id;
}, 120_000);

describe('GET /api/audit', () => {
  it('should refuse a user without the operator scope with 403', async () => {
    const res = await stack.call('/api/audit', { user: 'bob' });
    const text = await res.text();
    expect({ status: res.status, text }).toMatchObject({ status: 403 });
    expect(JSON.parse(text)).toMatchObject({ code: 'forbidden' });
    expect(text).not.toContain('"fish"');
  });

  it('should refuse a caller without a token with 401', async () => {
    expect((await stack.call('/api/audit')).status).toBe(401);
  });

  it('should answer an operator', async () => {
    const rawToken = await mintToken({ secret: SECRET, userId: 'ops', scopes: [OPERATOR_SCOPE] });
    const audit = await stack.json<{ ok: boolean; tanks: number }>('/api/audit', 200, { rawToken });
    expect(audit).toMatchObject({ ok: true, tanks: 2 });
  });
});

/** The problem a call answers, with the tank id it names made generic so two can be compared. */
async function problemOf(path: string, options: CallOptions, id: string) {
  const res = await stack.call(path, options);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text.replaceAll(id, '<id>')) as Record<string, unknown> };
}

describe('a private tank the caller may not read', () => {
  const calls: Array<[string, string, string, unknown?]> = [
    ['a lookup', 'GET', '/gateway/tanks/{id}'],
    ['a forwarded read', 'GET', '/api/tanks/{id}/stats'],
    ['a forwarded write', 'POST', '/api/tanks/{id}/pause'],
    ['a delete', 'DELETE', '/api/tanks/{id}'],
    ['the grants', 'GET', '/api/tanks/{id}/permissions'],
    ['a grant', 'POST', '/api/tanks/{id}/permissions', { user_id: 'bob', permission: 'admin' }],
    ['its transfers', 'GET', '/api/transfers?tank={id}'],
  ];

  it.each(calls)(
    'should answer %s exactly as for a tank that does not exist (404)',
    async (_what, method, path, body) => {
      const call = (id: string) => problemOf(path.replace('{id}', id), { method, user: 'bob', body }, id);
      const hidden = await call(privateId);
      expect(hidden).toEqual(await call(MISSING));
      expect(hidden).toMatchObject({ status: 404, body: { code: 'tank_not_found' } });
    },
  );

  it('should answer a transfer between tanks the caller may not read as a missing transfer (404)', async () => {
    const hidden = await problemOf(`/api/transfers/${transferId}`, { user: 'bob' }, transferId);
    const missing = await problemOf(`/api/transfers/${MISSING}`, { user: 'bob' }, MISSING);
    expect(hidden).toEqual(missing);
    expect(hidden).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it("should not delete the rows itself when the tank's server says 404 to a caller whose grant just went", async () => {
    const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Kept', is_public: false },
    });
    await stack.json(`/api/tanks/${tank.tank_id}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'mallory', permission: 'admin' },
    });
    // The gateway caches mallory's admin level; the revoke goes straight to the store (no event),
    // as if made on a gateway whose announcement has not arrived yet.
    await stack.json(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'mallory' });
    await revokePermission(stack.store.db, { tankId: tank.tank_id, userId: 'mallory' });
    // The server, which reads the grants itself, answers 404 (as to anyone without a level): that
    // must not pass for "not running here", after which the gateway deletes the rows itself.
    const res = await stack.call(`/api/tanks/${tank.tank_id}`, { method: 'DELETE', user: 'mallory' });
    expect(res.status).toBe(404);
    expect(await getTank(stack.store.db, tank.tank_id)).toBeDefined();
    await stack.json(`/gateway/tanks/${tank.tank_id}`, 200, { user: 'alice' });
  });

  it('should still refuse a reader a write or admin route with 403', async () => {
    for (const [method, path] of [
      ['POST', `/api/tanks/${privateId}/pause`],
      ['DELETE', `/api/tanks/${privateId}`],
      ['GET', `/api/tanks/${privateId}/permissions`],
    ] as const) {
      const res = await stack.call(path, { method, user: 'rita' });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(await res.json()).toMatchObject({ code: 'forbidden' });
    }
    await stack.json(`/gateway/tanks/${privateId}`, 200, { user: 'rita' });
  });
});
