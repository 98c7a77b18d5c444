/**
 * @module
 * The gateway with low limits: a user's requests, creates and transfers per window (429 with
 * `Retry-After` and the `RateLimit` fields, other users still served), event streams open at
 * once per user and per address, requests per client address (also without a token), and the
 * tank quota under a burst of creates over two servers on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import {
  createLimits,
  createMemoryLimitBackend,
  type LimitsConfig,
  NO_LIMITS,
} from '../../src/limits/index.ts';
import { countTanksOwnedBy } from '../../src/store/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();

function limits(config: Partial<LimitsConfig>, scope: 'gateway' | 'server' = 'gateway') {
  return createLimits({ backend: createMemoryLimitBackend(), config: { ...NO_LIMITS, ...config }, scope });
}

async function expectTooMany(res: Response, code: string, policy: string, q: number, w?: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const window = w === undefined ? '' : `;w=${w}`;
  expect(res.headers.get('ratelimit-policy')?.split(', ')[0]).toBe(`"${policy}";q=${q}${window}`);
  expect(res.headers.get('ratelimit')?.split(', ')[0]).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
  expect(await res.json()).toMatchObject({ status: 429, code, policy, type: `/problems/${code}` });
}

/** An event stream over the gateway's real port; resolves once its first bytes arrived. */
async function openStream(url: string, user: string) {
  const controller = new AbortController();
  const token = await mintToken({ secret: SECRET, userId: user });
  const res = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (res.ok) await res.body!.getReader().read();
  const close = () => controller.abort();
  cleanup.add(close);
  return { res, close };
}

describe('rate limits on the gateway', async () => {
  const stack = await startGatewayStack({
    cleanup,
    gateway: {
      limits: limits({ requestsPerUser: 5, createsPerUser: 2, transfersPerUser: 1, ssePerUser: 1 }),
    },
  });

  it('should answer 429 past a user’s requests, and still serve another user', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await stack.call('/api/tanks', { user: 'dave' });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"requests-per-user";q=5;w=60');
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"requests-per-user";r=${4 - i};t=\\d+$`));
    }
    await expectTooMany(
      await stack.call('/api/tanks', { user: 'dave' }),
      'rate_limited',
      'requests-per-user',
      5,
      60,
    );
    expect(
      (await stack.call('/gateway/tanks/00000000-0000-4000-8000-000000000000', { user: 'dave' })).status,
    ).toBe(429);
    expect((await stack.call('/api/tanks', { user: 'erin' })).status).toBe(200);
  });

  it('should refuse a user’s third create in a window with 429', async () => {
    for (let i = 0; i < 2; i++)
      await stack.json('/api/tanks', 201, {
        method: 'POST',
        user: 'carol',
        body: { name: `C${i}`, initial_fish: 0 },
      });
    const res = await stack.call('/api/tanks', { method: 'POST', user: 'carol', body: { name: 'C2' } });
    await expectTooMany(res, 'rate_limited', 'creates-per-user', 2, 60);
    await stack.json('/api/tanks', 201, {
      method: 'POST',
      user: 'cleo',
      body: { name: 'Cleo', initial_fish: 0 },
    });
  });

  it('should refuse a user’s second transfer in a window with 429', async () => {
    const body = { source_tank_id: crypto.randomUUID(), dest_tank_id: crypto.randomUUID(), entity_id: 1 };
    const first = await stack.call('/gateway/transfer', { method: 'POST', user: 'frank', body });
    expect(first.status).toBe(404);
    const second = await stack.call('/gateway/transfer', { method: 'POST', user: 'frank', body });
    await expectTooMany(second, 'rate_limited', 'transfers-per-user', 1, 60);
    expect((await stack.call('/gateway/transfer', { method: 'POST', user: 'fiona', body })).status).toBe(404);
  });

  it('should refuse a user’s second event stream with 429, and take one once the first ended', async () => {
    const first = await openStream(stack.gateway.url, 'gina');
    expect(first.res.status).toBe(200);
    const second = await openStream(stack.gateway.url, 'gina');
    await expectTooMany(second.res, 'too_many_connections', 'sse-per-user', 1);
    const other = await openStream(stack.gateway.url, 'hugo');
    expect(other.res.status).toBe(200);
    first.close();
    other.close();
    await waitFor(() => stack.gateway.ctx.hub.clients === 0, { what: 'the streams to end' });
    const third = await openStream(stack.gateway.url, 'gina');
    expect(third.res.status).toBe(200);
    third.close();
  });
});

describe('client-address limits on the gateway', async () => {
  const stack = await startGatewayStack({
    cleanup,
    gateway: { limits: limits({ requestsPerAddress: 4, ssePerAddress: 1 }) },
  });

  it('should allow one event stream per address at once', async () => {
    const first = await openStream(stack.gateway.url, 'ivy');
    expect(first.res.status).toBe(200);
    const second = await openStream(stack.gateway.url, 'jack');
    await expectTooMany(second.res, 'too_many_connections', 'sse-per-address', 1);
    first.close();
  });

  it('should answer 429 past an address’s requests, with or without a token', async () => {
    // The two streams above spent two; two unauthenticated requests spend the rest.
    // (Without a token the list answers as to a guest: counted by address all the same.)
    for (let i = 0; i < 2; i++) expect((await fetch(`${stack.gateway.url}/api/tanks`)).status).toBe(200);
    const token = await mintToken({ secret: SECRET, userId: 'kim' });
    const res = await fetch(`${stack.gateway.url}/api/tanks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await expectTooMany(res, 'rate_limited', 'requests-per-address', 4, 60);
  });
});

describe('a server’s address limit behind the gateway', async () => {
  // The gateway has none; its servers allow 3 requests per client address.
  const stack = await startGatewayStack({
    cleanup,
    serverLimits: limits({ requestsPerAddress: 3 }, 'server'),
  });

  it('should not count forwarded calls against the gateway’s address (they are signed)', async () => {
    const created = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'nora',
      body: { name: 'Forwarded', initial_fish: 0 },
    });
    for (let i = 0; i < 8; i++)
      await stack.json(`/api/tanks/${created.tank.tank_id}/stats`, 200, { user: `reader-${i}` });
    // The same server, called directly, counts this client's address.
    const server = stack.servers[0]!;
    for (let i = 0; i < 3; i++)
      expect((await server.request('/api/tanks', { user: 'nora' })).status).toBe(200);
    expect((await server.request('/api/tanks', { user: 'nora' })).status).toBe(429);
  });
});

describe('the tank quota', async () => {
  const db = await useDatabase({ cleanup });
  const quota = { tanksPerOwner: 3 };
  const stack = await startGatewayStack({
    cleanup,
    servers: 2,
    databaseUrl: db.url,
    gateway: { limits: limits(quota) },
    serverLimits: limits(quota, 'server'),
  });

  it('should stop a burst of creates at the quota with 403 tank_quota_exceeded, over two servers', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stack.call('/api/tanks', { method: 'POST', user: 'lena', body: { name: `L${i}`, initial_fish: 0 } }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
    const refused = answers.find((r) => r.status === 403)!;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    // Refused by the gateway's own count or, in the race, by a server's count under the owner's lock.
    expect(await refused.json()).toMatchObject({ status: 403, code: 'tank_quota_exceeded' });
    expect(await countTanksOwnedBy(stack.store.db, 'lena')).toBe(3);
    // Another owner is not affected, and a deleted tank makes room again.
    await stack.json('/api/tanks', 201, {
      method: 'POST',
      user: 'mia',
      body: { name: 'M', initial_fish: 0 },
    });
    const created = (await answers.find((r) => r.status === 201)!.json()) as { tank: { tank_id: string } };
    await stack.json(`/api/tanks/${created.tank.tank_id}`, 200, { method: 'DELETE', user: 'lena' });
    await stack.json('/api/tanks', 201, {
      method: 'POST',
      user: 'lena',
      body: { name: 'Again', initial_fish: 0 },
    });
  });
});
