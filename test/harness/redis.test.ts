/**
 * @module
 * Harness self-test: Redis, shared and killable.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import {
  livingProcesses,
  processTree,
  startRedis,
  useCleanup,
  useRedisPrefix,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();

describe('shared Redis', () => {
  it('should hand out distinct prefixes and delete their keys on close', async () => {
    const a = await useRedisPrefix({ cleanup });
    const b = await useRedisPrefix({ cleanup });
    expect(a.prefix).not.toBe(b.prefix);
    const client = createClient({ url: a.url });
    await client.connect();
    cleanup.add(() => client.destroy());
    await client.set(`${a.prefix}x`, '1');
    await client.set(`${b.prefix}x`, '2');
    await a.close();
    expect(await client.get(`${a.prefix}x`)).toBeNull();
    expect(await client.get(`${b.prefix}x`)).toBe('2');
  });
});

describe('own Redis', () => {
  it('should fail commands after SIGKILL and answer again after restart on the same port', async () => {
    const redis = await startRedis({ cleanup });
    // No offline queue: a command while disconnected fails at once instead of waiting.
    const client = createClient({
      url: redis.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    });
    client.on('error', () => {});
    await client.connect();
    cleanup.add(() => client.destroy());
    expect(await client.ping()).toBe('PONG');

    await redis.kill();
    expect(redis.running).toBe(false);
    await expect(client.ping()).rejects.toThrow();

    await redis.restart();
    expect(await waitFor(() => client.ping(), { what: 'the client to reconnect' })).toBe('PONG');
  });

  it('should not mistake another server on its port for itself', async () => {
    const first = await startRedis({ cleanup });
    await expect(startRedis({ port: first.port })).rejects.toThrow(/address already in use/i);
  });

  it('should leave no process behind after stop, even when stopped twice', async () => {
    const redis = await startRedis();
    const tree = processTree(redis.pid!);
    await redis.stop();
    await redis.stop();
    expect(livingProcesses(tree)).toEqual([]);
  });
});
