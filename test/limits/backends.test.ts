/**
 * @module
 * The limit backends, one contract run against both (counts, refusal past the allowance, a
 * window that ends, keys apart), and the point of Redis: two gateways, each with its own
 * connection, count one user's requests together, while two gateways on memory backends do not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createLimits,
  createMemoryLimitBackend,
  createRedisLimitBackend,
  type LimitBackend,
  NO_LIMITS,
} from '../../src/limits/index.ts';
import { startGatewayStack } from '../gateway/fixture.ts';
import { createCleanup, startRedis, useCleanup, useRedisPrefix, waitFor } from '../support/index.ts';

const cleanup = useCleanup();
const { url: redisUrl, prefix } = await useRedisPrefix({ cleanup });
let n = 0;

async function redisBackend(): Promise<LimitBackend> {
  return cleanup.add(await createRedisLimitBackend({ url: redisUrl, prefix: `${prefix}shared:` }));
}

function backendContract(name: string, make: () => Promise<LimitBackend>) {
  describe(`${name} limit backend`, () => {
    it('should count units per key and refuse past the allowance until the window ends', async () => {
      const backend = await make();
      const counter = backend.counter({ name: `contract-${++n}`, limit: 2, windowSeconds: 1 });
      const first = await counter.consume('alice');
      expect(first).toMatchObject({ allowed: true, limit: 2, windowSeconds: 1, remaining: 1 });
      expect(first.resetMs).toBeGreaterThan(0);
      expect(first.resetMs).toBeLessThanOrEqual(1000);
      expect(await counter.consume('alice')).toMatchObject({ allowed: true, remaining: 0 });
      const refused = await counter.consume('alice');
      expect(refused).toMatchObject({ allowed: false, remaining: 0 });
      expect(await counter.consume('bob')).toMatchObject({ allowed: true, remaining: 1 });
      await sleep(refused.resetMs + 50);
      expect(await counter.consume('alice')).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('should be closed twice without an error', async () => {
      const backend = await make();
      await backend.close();
      await backend.close();
    });
  });
}

backendContract('memory', async () => createMemoryLimitBackend());
backendContract('Redis', redisBackend);

describe('the Redis limit backend while Redis is away', () => {
  it('should start without Redis, count in this process meanwhile, and count in Redis once it is up', async ({
    onTestFinished,
  }) => {
    const own = createCleanup();
    onTestFinished(own.run);
    const redis = await startRedis({ cleanup: own });
    await redis.kill();
    const changes: string[] = [];
    // Before the fix this never settled: connect() retries until Redis answers.
    const backend = own.add(
      await createRedisLimitBackend({
        url: redis.url,
        connectTimeoutMs: 300,
        onError: () => changes.push('down'),
        onReady: () => changes.push('up'),
      }),
    );
    const counter = backend.counter({ name: 'away', limit: 2, windowSeconds: 60 });
    // The insurance limiter holds the limit in this process.
    expect(await counter.consume('alice')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await counter.consume('alice')).toMatchObject({ allowed: true, remaining: 0 });
    expect(await counter.consume('alice')).toMatchObject({ allowed: false });
    expect(changes).toEqual(['down']);

    await redis.restart();
    await waitFor(() => changes.includes('up'), { what: 'the backend to reach Redis', timeout: 10_000 });
    // Counted in Redis now: a second backend on the same Redis sees the same count.
    const other = own.add(await createRedisLimitBackend({ url: redis.url }));
    const shared = other.counter({ name: 'away', limit: 2, windowSeconds: 60 });
    expect(await backend.counter({ name: 'away', limit: 2, windowSeconds: 60 }).consume('bob')).toMatchObject(
      {
        allowed: true,
        remaining: 1,
      },
    );
    expect(await shared.consume('bob')).toMatchObject({ allowed: true, remaining: 0 });
    expect(changes).toEqual(['down', 'up']);
  });
});

describe('limits shared between gateways', () => {
  const config = { ...NO_LIMITS, requestsPerUser: 4 };

  it('should count one user’s requests through two gateways together on Redis', async () => {
    const limitsOn = async () => createLimits({ backend: await redisBackend(), config, scope: 'gateway' });
    const stack = await startGatewayStack({ cleanup, gateway: { limits: await limitsOn() } });
    const other = await stack.addGateway('gateway-b', { limits: await limitsOn() });
    const user = `shared-${Date.now()}`;
    for (const via of [stack.gateway, other, stack.gateway, other])
      expect((await stack.call('/api/tanks', { user, via })).status).toBe(200);
    for (const via of [stack.gateway, other]) {
      const res = await stack.call('/api/tanks', { user, via });
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 'rate_limited', policy: 'requests-per-user' });
    }
  });

  it('should count per gateway on separate memory backends (what Redis is for)', async () => {
    const limitsOn = () => createLimits({ backend: createMemoryLimitBackend(), config, scope: 'gateway' });
    const stack = await startGatewayStack({ cleanup, gateway: { limits: limitsOn() } });
    const other = await stack.addGateway('gateway-b', { limits: limitsOn() });
    for (const via of [stack.gateway, other, stack.gateway, other, stack.gateway, other])
      expect((await stack.call('/api/tanks', { user: 'alone', via })).status).toBe(200);
  });
});

describe('createLimits', () => {
  it('should hold a refusal for refusalDelayMs, then throw rate_limited with the time left', async () => {
    const limits = createLimits({
      backend: createMemoryLimitBackend(),
      config: { ...NO_LIMITS, windowSeconds: 5, refusalDelayMs: 300, createsPerUser: 1 },
      scope: 'gateway',
    });
    expect(await limits.take('creates', { user: 'slow', address: '203.0.113.9' })).toMatchObject({
      allowed: true,
      policy: 'creates-per-user',
      remaining: 0,
    });
    // No per-address allowance is set, so only the user's counts.
    expect(await limits.take('requests', { user: 'slow' })).toBeUndefined();
    const began = performance.now();
    const refusal = await limits.take('creates', { user: 'slow' }).catch((err: unknown) => err);
    expect(performance.now() - began).toBeGreaterThanOrEqual(290);
    expect(refusal).toMatchObject({
      code: 'rate_limited',
      status: 429,
      extra: { policy: 'creates-per-user' },
    });
    const seconds = Number((refusal as { headers: Record<string, string> }).headers['retry-after']);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(5);
  });

  it('should cap a user’s requests in any one second beside the window', async () => {
    const limits = createLimits({
      backend: createMemoryLimitBackend(),
      config: { ...NO_LIMITS, requestsPerUser: 100, requestsPerUserPerSecond: 3 },
      scope: 'server',
    });
    for (let i = 0; i < 3; i++) await limits.take('requests', { user: 'burst' });
    const refusal = await limits.take('requests', { user: 'burst' }).catch((err: unknown) => err);
    expect(refusal).toMatchObject({
      code: 'rate_limited',
      extra: { policy: 'requests-per-user-per-second', retry_after_seconds: 1 },
      headers: { 'ratelimit-policy': '"requests-per-user-per-second";q=3;w=1' },
    });
    expect(await limits.take('requests', { user: 'another' })).toMatchObject({ allowed: true });
  });

  it('should cap a user’s creates in any one second beside the window', async () => {
    const limits = createLimits({
      backend: createMemoryLimitBackend(),
      config: { ...NO_LIMITS, createsPerUser: 60, createsPerUserPerSecond: 2 },
      scope: 'gateway',
    });
    for (let i = 0; i < 2; i++) await limits.take('creates', { user: 'builder' });
    const refusal = await limits.take('creates', { user: 'builder' }).catch((err: unknown) => err);
    expect(refusal).toMatchObject({ code: 'rate_limited', extra: { policy: 'creates-per-user-per-second' } });
  });
});
