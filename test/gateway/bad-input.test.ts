/**
 * @module
 * Bad input at the gateway itself, before any tank server is asked: malformed JSON is
 * `malformed_json`, a body that breaks its schema `invalid_request`, an oversize body
 * `payload_too_large`, a tank nobody knows `tank_not_found` on every kind of route (lookup,
 * delete, permissions, forwarded), an unknown route `not_found`; each a problem+json with no
 * stack trace, and none of them leaves a tank or a row behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listTanks } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 1, databaseUrl: db.url });
  const created = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Well formed', seed: 3 },
  });
  tankId = created.tank.tank_id;
}, 120_000);

/** The reply must be a problem with this status and code, and no stack trace. */
async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `/problems/${code}`, status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(text).not.toMatch(/\bat .+\.ts:\d+/);
  return body;
}

/** Tanks running anywhere and tank rows, to check a refused request left nothing. */
async function footprint(): Promise<{ running: number; rows: number }> {
  const running = stack.servers.reduce((n, s) => n + s.server.host.list().length, 0);
  const rows = (await listTanks(stack.store.db, { limit: 500 })).items.length;
  return { running, rows };
}

describe('bad bodies', () => {
  it('should answer malformed JSON on a create as malformed_json and create nothing', async () => {
    const before = await footprint();
    await expectProblem(
      await stack.call('/api/tanks', { method: 'POST', user: 'alice', rawBody: '{"name": "Half' }),
      400,
      'malformed_json',
    );
    expect(await footprint()).toEqual(before);
  });

  it('should answer malformed JSON on a grant as malformed_json', async () => {
    await expectProblem(
      await stack.call(`/api/tanks/${tankId}/permissions`, { method: 'POST', user: 'alice', rawBody: '{' }),
      400,
      'malformed_json',
    );
  });

  it.each([
    ['a name of the wrong type', { name: 42 }],
    ['an empty name', { name: '' }],
    ['an unknown field', { name: 'Reef', colour: 'blue' }],
    ['a seed that is not a number', { name: 'Reef', seed: 'seven' }],
    ['a JSON array', [{ name: 'Reef' }]],
  ])('should refuse a create with %s as invalid_request and create nothing', async (_what, body) => {
    const before = await footprint();
    await expectProblem(
      await stack.call('/api/tanks', { method: 'POST', user: 'alice', body }),
      400,
      'invalid_request',
    );
    expect(await footprint()).toEqual(before);
  });

  it.each([
    ['an unknown level', { user_id: 'bob', permission: 'owner' }],
    ['no user', { permission: 'read' }],
    ['a blank user', { user_id: '  ', permission: 'read' }],
    ['an unknown field', { user_id: 'bob', permission: 'read', until: 'tomorrow' }],
  ])('should refuse a grant with %s as invalid_request', async (_what, body) => {
    await expectProblem(
      await stack.call(`/api/tanks/${tankId}/permissions`, { method: 'POST', user: 'alice', body }),
      400,
      'invalid_request',
    );
    const grants = await stack.json<{ permissions: Array<{ user_id: string }> }>(
      `/api/tanks/${tankId}/permissions`,
      200,
      { user: 'alice' },
    );
    expect(grants.permissions.map((p) => p.user_id)).toEqual(['alice']);
  });

  it('should refuse a body past the size limit as payload_too_large and create nothing', async () => {
    const before = await footprint();
    await expectProblem(
      await stack.call('/api/tanks', {
        method: 'POST',
        user: 'alice',
        body: { name: 'Big', description: 'x'.repeat(80 * 1024) },
      }),
      413,
      'payload_too_large',
    );
    expect(await footprint()).toEqual(before);
  });

  it('should refuse a bad page size on the listing as invalid_request', async () => {
    await expectProblem(await stack.call('/api/tanks?limit=-3', { user: 'alice' }), 400, 'invalid_request');
    await expectProblem(await stack.call('/api/tanks?limit=lots', { user: 'alice' }), 400, 'invalid_request');
  });
});

describe('unknown tanks and routes', () => {
  it.each([
    ['a lookup', 'GET', '/gateway/tanks/no-such-tank'],
    ['a delete', 'DELETE', '/api/tanks/no-such-tank'],
    ['a forwarded read', 'GET', '/api/tanks/no-such-tank/stats'],
    ['a forwarded write', 'POST', '/api/tanks/no-such-tank/pause'],
    ['the grants', 'GET', '/api/tanks/no-such-tank/permissions'],
    ['a revoke', 'DELETE', '/api/tanks/no-such-tank/permissions/bob'],
  ])('should answer %s of an unknown tank with 404 tank_not_found', async (_what, method, path) => {
    const body = await expectProblem(
      await stack.call(path, { method, user: 'alice' }),
      404,
      'tank_not_found',
    );
    expect(body.detail).toContain('no-such-tank');
  });

  it('should answer a grant on an unknown tank with 404 tank_not_found', async () => {
    await expectProblem(
      await stack.call('/api/tanks/no-such-tank/permissions', {
        method: 'POST',
        user: 'alice',
        body: { user_id: 'bob', permission: 'read' },
      }),
      404,
      'tank_not_found',
    );
  });

  it('should answer an unknown route with a 404 problem', async () => {
    await expectProblem(await stack.call('/api/nothing-here', { user: 'alice' }), 404, 'not_found');
  });
});
