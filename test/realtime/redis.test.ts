import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealtime, type NetworkEvent, RealtimeUnavailableError } from '../../src/realtime/index.ts';
import { collector, EVENTS, load, realtimeContract, stats } from './realtime.case.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL is not set: the Redis adapter is tested against a real Redis');

/** Keys of this file live under their own prefix, and each test under its own below it. */
const filePrefix = `tw-test:${randomUUID()}:`;
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
        const received = events.next();
        // Publish until the resubscribed connection hears it; calls in the gap reject at once.
        let delivered = false;
        received.then(() => {
          delivered = true;
        });
        while (!delivered) {
          await realtime.publish(marker).catch((err) => expect(err).toBeInstanceOf(RealtimeUnavailableError));
          await Promise.race([received, sleep(50)]);
        }
        expect(await received).toEqual(marker);
      } finally {
        await realtime.close();
      }
    });
  });

  describe('when Redis cannot be reached', () => {
    it('should reject creation with RealtimeUnavailableError within the connect timeout', async () => {
      const started = Date.now();
      await expect(
        createRealtime({ redisUrl: 'redis://127.0.0.1:1', connectTimeoutMs: 300, onError: () => {} }),
      ).rejects.toMatchObject({ code: 'realtime_unavailable' });
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});
