/**
 * @module
 * A tank server refuses a request whose `x-tank-server` header names another server (a stale
 * mesh route) with 421 `misdirected_request`, before authentication and before any state
 * changes; its own id, or no header (direct calls), are served as usual.
 */
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/index.ts';
import { TANK_SERVER_HEADER } from '../../src/discovery/index.ts';
import { SECRET, startTestServer } from '../server/fixture.ts';
import { useCleanup } from '../support/index.ts';

const cleanup = useCleanup();

async function expectMisdirected(res: Response, serverId: string, wanted: string): Promise<void> {
  expect(res.status).toBe(421);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(await res.json()).toMatchObject({
    status: 421,
    title: 'Misdirected Request',
    code: 'misdirected_request',
    type: '/problems/misdirected_request',
    server_id: serverId,
    requested_server_id: wanted,
  });
}

describe('a request meant for another tank server', () => {
  it('should answer 421 misdirected_request and change nothing; its own id and no header are served', async () => {
    const t = await startTestServer({ cleanup, serverId: 'server-b' });
    const other = { [TANK_SERVER_HEADER]: 'server-a' };
    const own = { [TANK_SERVER_HEADER]: 'server-b' };

    await expectMisdirected(await t.request('/health', { headers: other }), 'server-b', 'server-a');
    expect(((await t.json('/health', 200, { headers: own })) as { server_id: string }).server_id).toBe(
      'server-b',
    );
    expect(await t.json('/health', 200)).toMatchObject({ server_id: 'server-b' });

    // A user route: refused before the token is even looked at, and no tank is made.
    await expectMisdirected(
      await t.request('/api/tanks', { method: 'POST', user: 'alice', body: { name: 'x' }, headers: other }),
      'server-b',
      'server-a',
    );
    await expectMisdirected(await t.request('/api/tanks', { headers: other }), 'server-b', 'server-a');
    const listed = await t.json<{ tanks: unknown[] }>('/api/tanks', 200, { user: 'alice' });
    expect(listed.tanks).toHaveLength(0);
    await t.json('/api/tanks', 201, { method: 'POST', user: 'alice', body: { name: 'ok' }, headers: own });

    // A signed internal call (the gateway's create), validly signed, still refused.
    const body = JSON.stringify({
      tank_id: '00000000-0000-4000-8000-00000000000a',
      name: 'i',
      owner: 'alice',
    });
    const signed = signRequest({ secret: SECRET, method: 'POST', path: '/internal/tanks', body });
    const internal = await fetch(`${t.server.url}/internal/tanks`, {
      method: 'POST',
      headers: { ...signed, ...other, 'content-type': 'application/json' },
      body,
    });
    await expectMisdirected(internal, 'server-b', 'server-a');
    expect((await t.json<{ tanks: unknown[] }>('/api/tanks', 200, { user: 'alice' })).tanks).toHaveLength(1);
  });
});
