/**
 * @module
 * What a tank server must not tell: `GET /api/servers` (every public tank and its owner) needs a
 * token, and a private tank the caller may not read answers exactly as a tank that does not
 * exist (a 403 there told that it exists). A caller who may read it but needs more gets 403.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { grantPermission } from '../../src/store/index.ts';
import { useCleanup } from '../support/index.ts';
import { type RequestOptions, startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;
let privateId: string;
const MISSING = '00000000-0000-4000-8000-00000000abcd';

beforeAll(async () => {
  t = await startTestServer({ cleanup });
  privateId = (
    await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Private', is_public: false },
    })
  ).tank.tank_id;
  await t.json('/api/tanks', 201, { method: 'POST', user: 'alice', body: { name: 'Public' } });
  await grantPermission(t.store.db, { tankId: privateId, userId: 'rita', permission: 'read' });
});

describe('GET /api/servers', () => {
  it('should refuse a caller without a token with 401', async () => {
    const res = await t.request('/api/servers');
    const text = await res.text();
    expect({ status: res.status, text }).toMatchObject({ status: 401 });
    expect(JSON.parse(text)).toMatchObject({ code: 'missing_token' });
    expect(text).not.toContain('alice');
  });

  it('should answer a user with a token', async () => {
    const reply = await t.json<{ count: number }>('/api/servers', 200, { user: 'bob' });
    expect(reply.count).toBeGreaterThan(0);
  });
});

async function problemOf(path: string, options: RequestOptions, id: string) {
  const res = await t.request(path, options);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text.replaceAll(id, '<id>')) as Record<string, unknown> };
}

describe('a private tank the caller may not read', () => {
  it.each([
    ['a read', 'GET', '/api/tanks/{id}'],
    ['its entities', 'GET', '/api/tanks/{id}/entities'],
    ['its snapshots', 'GET', '/api/tanks/{id}/snapshots'],
    ['a write', 'POST', '/api/tanks/{id}/pause'],
    ['a delete', 'DELETE', '/api/tanks/{id}'],
  ])('should answer %s exactly as for a tank that does not exist (404)', async (_what, method, path) => {
    const call = (id: string) => problemOf(path.replace('{id}', id), { method, user: 'bob' }, id);
    const hidden = await call(privateId);
    expect(hidden).toEqual(await call(MISSING));
    expect(hidden).toMatchObject({ status: 404, body: { code: 'tank_not_found' } });
  });

  it('should still refuse a reader a write or admin route with 403', async () => {
    await t.json(`/api/tanks/${privateId}`, 200, { user: 'rita' });
    for (const [method, path] of [
      ['POST', `/api/tanks/${privateId}/pause`],
      ['DELETE', `/api/tanks/${privateId}`],
    ] as const) {
      const res = await t.request(path, { method, user: 'rita' });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
  });
});
