/**
 * @module
 * A tank server reached directly, with low limits: per-user and per-address request windows,
 * direct creates, open WebSockets per user (closed 4429) and per address (HTTP 429 before the
 * upgrade), and the tank quota under a burst on PostgreSQL. Signed calls, `/internal/*` and the
 * user routes a gateway forwards, are not counted against the client address.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signRequest } from '../../src/auth/index.ts';
import {
  createLimits,
  createMemoryLimitBackend,
  type LimitsConfig,
  NO_LIMITS,
} from '../../src/limits/index.ts';
import { WsClose } from '../../src/server/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { SECRET, startTestServer, type TestServer } from './fixture.ts';
import { openViewer, type TestViewer } from './viewer.ts';

const cleanup = useCleanup();
let perUser: TestServer;
let perAddress: TestServer;

function limits(config: Partial<LimitsConfig>) {
  return createLimits({
    backend: createMemoryLimitBackend(),
    config: { ...NO_LIMITS, ...config },
    scope: 'server',
  });
}

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  perUser = await startTestServer({
    cleanup,
    databaseUrl: db.url,
    serverId: 'limits-user',
    limits: limits({ requestsPerUser: 4, createsPerUser: 2, wsPerUser: 1 }),
  });
  perAddress = await startTestServer({
    cleanup,
    store: perUser.store,
    serverId: 'limits-address',
    limits: limits({ requestsPerAddress: 3, wsPerAddress: 1, tanksPerOwner: 2 }),
  });
});

async function expectTooMany(res: Response, policy: string, q: number, w = 60): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  // The refused policy first; the other allowances the request was counted against may follow.
  expect(res.headers.get('ratelimit-policy')?.split(', ')[0]).toBe(`"${policy}";q=${q};w=${w}`);
  expect(res.headers.get('ratelimit')?.split(', ')[0]).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
  expect(await res.json()).toMatchObject({ status: 429, code: 'rate_limited', policy });
}

/** A signed internal create of a public tank for `owner`. */
async function internalCreate(server: TestServer, owner: string): Promise<Response> {
  const path = '/internal/tanks';
  const body = JSON.stringify({ tank_id: randomUUID(), name: 'Signed', owner, initial_fish: 0 });
  return fetch(`${server.server.url}${path}`, {
    method: 'POST',
    headers: {
      ...signRequest({ secret: SECRET, method: 'POST', path, body }),
      'content-type': 'application/json',
    },
    body,
  });
}

function view(server: TestServer, tankId: string, token: string): TestViewer {
  const viewer = openViewer(`${server.server.wsUrl}/ws/${tankId}?token=${token}`);
  cleanup.add(() => viewer.ws.terminate());
  return viewer;
}

describe('limits on a tank server', () => {
  it('should answer 429 with Retry-After and RateLimit fields past a user’s requests, and still serve others', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await perUser.request('/api/tanks', { user: 'sam' });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"requests-per-user";r=${3 - i};t=(59|60)$`));
    }
    await expectTooMany(await perUser.request('/api/tanks', { user: 'sam' }), 'requests-per-user', 4);
    expect((await perUser.request('/api/tanks', { user: 'tom' })).status).toBe(200);
  });

  it('should refuse a user’s third direct create in a window with 429', async () => {
    for (let i = 0; i < 2; i++)
      await perUser.json('/api/tanks', 201, { method: 'POST', user: 'uma', body: { name: `U${i}` } });
    const res = await perUser.request('/api/tanks', { method: 'POST', user: 'uma', body: { name: 'U2' } });
    await expectTooMany(res, 'creates-per-user', 2);
  });

  it('should close a user’s second WebSocket with 4429, and take a new one once the first closed', async () => {
    const created = await perUser.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'vic',
      body: { name: 'Watched', initial_fish: 0 },
    });
    const id = created.tank.tank_id;
    const token = await perUser.token('vic');
    const first = view(perUser, id, token);
    await first.nextText((m) => m.type === 'hello', 'the first hello');
    const second = view(perUser, id, token);
    const refused = await second.closed;
    expect(refused.code).toBe(WsClose.tooMany);
    expect(refused.reason).toContain('ws-per-user');
    first.close();
    await first.closed;
    // Another user is not refused while vic holds one.
    const other = view(perUser, id, await perUser.token('wendy'));
    await other.nextText((m) => m.type === 'hello', 'another user’s hello');
    await waitFor(
      async () => {
        const again = view(perUser, id, token);
        const hello = await Promise.race([
          again.nextText((m) => m.type === 'hello', 'hello again'),
          again.closed.then(() => undefined),
        ]);
        return hello;
      },
      { what: 'a viewer admitted after the first closed', timeout: 10_000 },
    );
  });

  it('should count unsigned requests per client address, but not signed ones', async () => {
    // Signed internal creates and forwarded reads do not spend the address's allowance.
    const ids: string[] = [];
    for (const owner of ['o1', 'o2', 'o3', 'o4']) {
      const res = await internalCreate(perAddress, owner);
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { tank: { tank_id: string } }).tank.tank_id);
    }
    const token = await perAddress.token('o1');
    for (let i = 0; i < 4; i++) {
      const path = `/api/tanks/${ids[0]}`;
      const res = await fetch(`${perAddress.server.url}${path}`, {
        headers: {
          authorization: `Bearer ${token}`,
          ...signRequest({ secret: SECRET, method: 'GET', path }),
        },
      });
      expect(res.status).toBe(200);
    }
    // A forged signature earns nothing: that request is counted as a client's (the first of three).
    const forged = await fetch(`${perAddress.server.url}/api/tanks`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...signRequest({ secret: 'another-secret-0123456789abcdef', method: 'GET', path: '/api/tanks' }),
      },
    });
    expect(forged.status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await perAddress.request('/api/tanks')).status).toBe(401);
    await expectTooMany(await perAddress.request('/api/tanks', { user: 'o2' }), 'requests-per-address', 3);
  });

  it('should answer an address’s second WebSocket upgrade with HTTP 429', async () => {
    const created = await internalCreate(perAddress, 'viewer-owner');
    const id = ((await created.json()) as { tank: { tank_id: string } }).tank.tank_id;
    const first = view(perAddress, id, await perAddress.token('x1'));
    await first.nextText((m) => m.type === 'hello', 'the first hello');
    const refused = new WebSocket(
      `${perAddress.server.wsUrl}/ws/${id}?token=${await perAddress.token('x2')}`,
    );
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      refused.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      });
      refused.on('open', () => reject(new Error('the upgrade was accepted')));
      refused.on('error', () => {});
    });
    expect(answer.status).toBe(429);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'too_many_connections', policy: 'ws-per-address' });
    first.close();
    await first.closed;
    await waitFor(
      async () => {
        const again = view(perAddress, id, await perAddress.token('x3'));
        return Promise.race([
          again.nextText((m) => m.type === 'hello', 'hello again'),
          again.closed.then(() => undefined),
        ]);
      },
      { what: 'an upgrade accepted after the first socket closed', timeout: 10_000 },
    );
  });

  it('should stop a burst of creates for one owner at the quota, with 403 tank_quota_exceeded', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => internalCreate(perAddress, 'burst')));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 403, 403, 403, 403, 403, 403]);
    const refused = answers.find((r) => r.status === 403)!;
    expect(await refused.json()).toMatchObject({ code: 'tank_quota_exceeded', quota: 2 });
    expect((await internalCreate(perAddress, 'someone-else')).status).toBe(201);
  });
});
