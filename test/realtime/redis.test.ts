import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealtime, type NetworkEvent, RealtimeUnavailableError } from '../../src/realtime/index.ts';
import { createCleanup, startRedis, useCleanup, useRedisPrefix, waitFor } from '../support/index.ts';
import { collector, EVENTS, load, realtimeContract, stats } from './realtime.case.ts';

const cleanup = useCleanup();
/** The run's shared Redis, under a prefix of this file's own (removed afterwards). */
const { url: redisUrl, prefix: filePrefix } = await useRedisPrefix({ cleanup });
let counter = 0;

describe('Redis realtime', () => {
  realtimeContract(async ({ onError }) => {
    const realtime = await createRealtime({ redisUrl, prefix: `${filePrefix}${++counter}:`, onError });
    return {
      realtime,
      // Redis owns expiry, so time has to pass for real; TTLs in the contract are short.
      elapse: (ms) => sleep(ms),
    };
  });

  describe('layout', () => {
    const admin = createClient({ url: redisUrl });
    beforeAll(async () => {
      await admin.connect();
    });
    afterAll(async () => {
      admin.destroy();
    });

    it('should keep every key under the prefix, with an expiry on each hash', async () => {
      const prefix = `${filePrefix}layout:`;
      const realtime = await createRealtime({ redisUrl, prefix });
      try {
        await realtime.setLoad('server-1', load(), { ttlMs: 5000 });
        await realtime.setTankStats('tank-a', stats(), { ttlMs: 5000 });
        const keys = (await admin.keys(`${prefix}*`)).sort();
        expect(keys).toEqual([`${prefix}load:server-1`, `${prefix}loads`, `${prefix}stats:tank-a`]);
        for (const key of [`${prefix}load:server-1`, `${prefix}stats:tank-a`]) {
          const ttl = await admin.pTTL(key);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(5000);
        }
      } finally {
        await realtime.close();
      }
    });

    it('should skip a hash another writer filled with junk, and report it', async () => {
      const prefix = `${filePrefix}junk:`;
      const errors: unknown[] = [];
      const realtime = await createRealtime({ redisUrl, prefix, onError: (err) => errors.push(err) });
      try {
        await realtime.setLoad('server-1', load(), { ttlMs: 5000 });
        await admin.hSet(`${prefix}load:server-2`, { tank_count: 'lots' });
        await admin.pExpire(`${prefix}load:server-2`, 5000);
        await admin.zAdd(`${prefix}loads`, { score: Date.now() + 5000, value: 'server-2' });
        expect(await realtime.loads()).toEqual(new Map([['server-1', load()]]));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ code: 'invalid_realtime_value' });
      } finally {
        await realtime.close();
      }
    });

    it('should not deliver events published under another prefix', async () => {
      const ours = await createRealtime({ redisUrl, prefix: `${filePrefix}ours:` });
      const theirs = await createRealtime({ redisUrl, prefix: `${filePrefix}theirs:` });
      try {
        const events = collector();
        await ours.subscribe(events.handler);
        await theirs.publish(EVENTS[0]);
        await ours.publish(EVENTS[1]);
        expect(await events.next()).toEqual(EVENTS[1]);
        expect(events.received).toEqual([]);
      } finally {
        await Promise.all([ours.close(), theirs.close()]);
      }
    });

    it('should resume a subscription after its connections are dropped', async () => {
      const name = `tw-test-${randomUUID()}`;
      const realtime = await createRealtime({
        redisUrl,
        prefix: `${filePrefix}drop:`,
        name,
        onError: () => {},
      });
      try {
        const events = collector();
        await realtime.subscribe(events.handler);
        // Only this adapter's connections: other test files may share this Redis.
        const clients = await admin.clientList();
        const ours = clients.filter((c) => c.name === name || c.name === `${name}:sub`);
        expect(ours).toHaveLength(2);
        for (const client of ours) await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(client.id)]);
        const marker: NetworkEvent = {
          type: 'server_up',
          server_id: 'after-drop',
          at: new Date().toISOString(),
        };
        expect(await publishUntilHeard(realtime, events, marker)).toEqual(marker);
      } finally {
        await realtime.close();
      }
    });
    it('should tell a subscriber its subscription broke, and that it is whole again before any later event', async () => {
      const name = `tw-test-${randomUUID()}`;
      const realtime = await createRealtime({
        redisUrl,
        prefix: `${filePrefix}gap:`,
        name,
        onError: () => {},
      });
      try {
        const events = collector();
        const seen: string[] = [];
        await realtime.subscribe(
          (event) => {
            seen.push(event.type);
            events.handler(event);
          },
          { onGap: (gap) => seen.push(gap) },
        );
        // The subscriber connection alone: events published until it is back never reach it.
        const [sub] = (await admin.clientList()).filter((c) => c.name === `${name}:sub`);
        await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(sub!.id)]);
        const marker: NetworkEvent = {
          type: 'server_up',
          server_id: 'after-gap',
          at: new Date().toISOString(),
        };
        expect(await publishUntilHeard(realtime, events, marker)).toEqual(marker);
        expect(seen.filter((s) => s === 'lost' || s === 'resumed')).toEqual(['lost', 'resumed']);
        expect(seen.indexOf('resumed')).toBeLessThan(seen.indexOf('server_up'));
        expect(seen.indexOf('lost')).toBe(0);
      } finally {
        await realtime.close();
      }
    });
  });

  describe('when Redis fails', () => {
    it('should start while Redis is down, reject calls meanwhile, and connect and subscribe once it is up', async ({
      onTestFinished,
    }) => {
      const own = createCleanup();
      onTestFinished(own.run);
      const redis = await startRedis({ cleanup: own });
      await redis.kill();
      const errors: unknown[] = [];
      let readies = 0;
      // Before the fix creation rejected here, and a process could not start without Redis.
      const realtime = own.add(
        await createRealtime({
          redisUrl: redis.url,
          prefix: 'tw:',
          connectTimeoutMs: 300,
          onError: (err) => errors.push(err),
          onReady: () => readies++,
        }),
      );
      await expect(realtime.setLoad('server-1', load(), { ttlMs: 60_000 })).rejects.toThrow(
        RealtimeUnavailableError,
      );
      const events = collector();
      // Subscribing during the outage does not fail: the subscription starts once Redis is up.
      await realtime.subscribe(events.handler);
      expect(errors).toEqual([expect.objectContaining({ code: 'realtime_unavailable' })]);
      expect(readies).toBe(0);

      await redis.restart();
      const marker: NetworkEvent = { type: 'server_up', server_id: 'late', at: new Date().toISOString() };
      expect(await publishUntilHeard(realtime, events, marker)).toEqual(marker);
      await realtime.setLoad('server-1', load(), { ttlMs: 60_000 });
      expect(await realtime.loads()).toEqual(new Map([['server-1', load()]]));
      // One line when it went away and one when it came back, whatever the retries in between.
      expect(errors).toHaveLength(1);
      expect(readies).toBe(1);
    });

    it('should reject at once while Redis is down, and resume publish/subscribe after a restart', async ({
      onTestFinished,
    }) => {
      const own = createCleanup();
      onTestFinished(own.run);
      const redis = await startRedis({ cleanup: own });
      const errors: unknown[] = [];
      const realtime = own.add(
        await createRealtime({ redisUrl: redis.url, prefix: 'tw:', onError: (err) => errors.push(err) }),
      );
      const events = collector();
      await realtime.subscribe(events.handler);
      await realtime.setLoad('server-1', load(), { ttlMs: 60_000 });

      await redis.kill();
      // Once the client has seen the socket close, calls fail without waiting for any timeout.
      await waitFor(() => rejectsWithin(() => realtime.setLoad('server-1', load(), { ttlMs: 60_000 }), 50), {
        what: 'setLoad to reject at once',
        timeout: 5000,
        interval: 20,
      });
      await rejectsWithin(() => realtime.publish(EVENTS[0]), 50);
      await rejectsWithin(() => realtime.loads(), 50);
      await rejectsWithin(() => realtime.tankStats(['tank-a']), 50);
      // One report per connection for the outage, not one per reconnect attempt.
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(errors).toEqual(errors.map(() => expect.objectContaining({ code: 'realtime_unavailable' })));

      await redis.restart();
      const marker: NetworkEvent = {
        type: 'server_down',
        server_id: 'server-9',
        at: new Date().toISOString(),
      };
      expect(await publishUntilHeard(realtime, events, marker)).toEqual(marker);
      // The restarted Redis kept nothing (no persistence): servers rewrite their load each heartbeat.
      expect(await realtime.loads()).toEqual(new Map());
      await realtime.setLoad('server-1', load(), { ttlMs: 60_000 });
      expect(await realtime.loads()).toEqual(new Map([['server-1', load()]]));
    });

    it('should reject after the command timeout while Redis hangs, and close without waiting for it', async ({
      onTestFinished,
    }) => {
      const own = createCleanup();
      onTestFinished(own.run);
      const redis = await startRedis({ cleanup: own });
      // Registered after the Redis, so it runs first: a stopped process would not stop on SIGTERM.
      own.add(() => redis.kill('SIGCONT'));
      const realtime = await createRealtime({
        redisUrl: redis.url,
        prefix: 'tw:',
        commandTimeoutMs: 300,
        onError: () => {},
      });
      own.add(realtime);

      await redis.kill('SIGSTOP');
      const started = performance.now();
      await expect(realtime.setLoad('server-1', load(), { ttlMs: 60_000 })).rejects.toThrow(
        RealtimeUnavailableError,
      );
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(290);
      expect(waited).toBeLessThan(1500);

      await redis.kill('SIGCONT');
      await waitFor(() => realtime.setLoad('server-1', load(), { ttlMs: 60_000 }).then(() => true), {
        what: 'setLoad to work again',
        timeout: 5000,
      });

      await redis.kill('SIGSTOP');
      const closing = performance.now();
      await Promise.all([realtime.close(), realtime.close()]);
      expect(performance.now() - closing).toBeLessThan(1500);
    });
  });
});

/** Resolves if `call` rejects as unavailable within `ms`; false if it took longer. */
async function rejectsWithin(call: () => Promise<unknown>, ms: number): Promise<boolean> {
  const started = performance.now();
  await expect(call()).rejects.toThrow(RealtimeUnavailableError);
  return performance.now() - started < ms;
}

/**
 * Publishes `event` until `events` hears it. After a reconnect the subscriber may come back
 * after the publisher, so one publish can fall in the gap; calls made while the command
 * connection is still down reject as unavailable and are retried.
 */
async function publishUntilHeard(
  realtime: Awaited<ReturnType<typeof createRealtime>>,
  events: ReturnType<typeof collector>,
  event: NetworkEvent,
): Promise<NetworkEvent> {
  const heard = events.next();
  let done = false;
  heard.then(() => {
    done = true;
  });
  const deadline = performance.now() + 10_000;
  while (!done) {
    if (performance.now() > deadline) throw new Error('the subscription did not resume within 10 s');
    await realtime.publish(event).catch((err) => {
      if (!(err instanceof RealtimeUnavailableError)) throw err;
    });
    await Promise.race([heard, sleep(50)]);
  }
  return heard;
}
