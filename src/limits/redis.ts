/**
 * @module
 * Limit counts in Redis (rate-limiter-flexible's `RateLimiterRedis` on a `redis` client of its
 * own), so that several gateways, and the servers, count one user's requests together. While
 * Redis is out of reach, at start as later, each counter falls back to counting in this process
 * (the library's insurance limiter): limits keep holding, per process, instead of every request
 * failing, and the client keeps reconnecting in the background (at most a second apart).
 * Out of reach includes silent: behind a partition the connection stays open and a command is
 * never answered, so a count Redis has not answered within `commandTimeoutMs` is taken from the
 * insurance limiter too (without it every limited request, `/health` included, hung for as long
 * as the partition lasted; node-redis's own command timeout did not end the library's script
 * call, test/partition/island-cut.test.ts).
 */
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { fromLibrary } from './outcome.ts';
import type { Counter, CounterOptions, LimitBackend } from './types.ts';

export interface RedisLimitBackendOptions {
  url: string;
  /** Put before every key (deployments and test files sharing a Redis). */
  prefix?: string;
  /** Told about the first failure of each outage (Redis away at start included). */
  onError?: (err: unknown) => void;
  /** Told once when Redis is reachable again after `onError`. */
  onReady?: () => void;
  /** How long creation waits for the first connection before counting in-process meanwhile. */
  connectTimeoutMs?: number;
  /** How long a command may go unanswered before the count falls back to this process. */
  commandTimeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const backend = await createRedisLimitBackend({ url: 'redis://127.0.0.1:6379' });
 * const perUser = backend.counter({ name: 'requests-per-user', limit: 600, windowSeconds: 60 });
 * await perUser.consume('alice');
 * await backend.close();
 * ```
 */
export async function createRedisLimitBackend({
  url,
  prefix = 'tankworld:limit:',
  onError = () => {},
  onReady = () => {},
  connectTimeoutMs = 5000,
  commandTimeoutMs = 1000,
}: RedisLimitBackendOptions): Promise<LimitBackend> {
  const client = createClient({
    url,
    // Refuse at once while disconnected: the insurance limiter answers instead of a queue.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  let down = false;
  client.on('ready', () => {
    if (down) onReady();
    down = false;
  });
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    onError(err);
  });
  // connect() retries until Redis answers (it rejects only if closed first): wait for it a
  // little, then start anyway; the insurance limiters count here until Redis is back.
  const connecting = client.connect();
  connecting.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connecting.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, connectTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    counter({ name, limit, windowSeconds }: CounterOptions): Counter {
      const insurance = new RateLimiterMemory({ points: limit, duration: windowSeconds });
      const limiter = new RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        keyPrefix: `${prefix}${name}`,
        points: limit,
        duration: windowSeconds,
        insuranceLimiter: insurance,
      });
      return {
        consume: (key) =>
          fromLibrary(
            withDeadline(limiter.consume(key), commandTimeoutMs, () => insurance.consume(key)),
            { name, limit, windowSeconds },
          ),
      };
    },
    close() {
      closing ??= (async () => {
        if (!client.isOpen) return;
        // Still retrying (Redis away): close() would wait for a connection that may never come.
        if (!client.isReady) client.destroy();
        else await client.close().catch(() => client.destroy());
      })();
      return closing;
    },
  };
}

/** `promise`, unless it has not settled after `ms`: then `fallback()` (the late result is dropped). */
function withDeadline<T>(promise: Promise<T>, ms: number, fallback: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => fallback().then(resolve, reject), ms);
  });
  // A rejection after the deadline is a refusal or an error nobody waits for any more.
  promise.catch(() => {});
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
