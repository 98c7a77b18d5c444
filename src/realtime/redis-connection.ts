/**
 * @module
 * The two node-redis connections behind `redis.ts` (commands, and a subscriber, since a
 * subscribed connection can run nothing else), set up to fail fast while Redis is away and
 * to come back by themselves.
 */
import { createClient, type RedisClientType } from 'redis';
import { RealtimeUnavailableError } from './errors.ts';

export type RedisClient = RedisClientType;

export interface RedisConnectionOptions {
  url: string;
  /** CLIENT SETNAME for the command connection; the subscriber gets `<name>:sub`. */
  name?: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  onError: (err: unknown) => void;
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid redis url>';
  }
}

/**
 * Settles like `promise`, or rejects with `RealtimeUnavailableError(message)` after `ms`.
 *
 * @example
 * ```ts
 * await withTimeout(client.ping(), 1000, 'redis did not answer PING');
 * ```
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RealtimeUnavailableError(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the command and subscriber connections. Rejects with `RealtimeUnavailableError`
 * (and leaves nothing open) when Redis does not answer within `connectTimeoutMs`.
 *
 * @example
 * ```ts
 * const { client, subscriber } = await connectRedis({
 *   url, commandTimeoutMs: 1000, connectTimeoutMs: 5000, onError: (err) => logger.warn({ err }),
 * });
 * ```
 */
export async function connectRedis({
  url,
  name,
  commandTimeoutMs,
  connectTimeoutMs,
  onError,
}: RedisConnectionOptions): Promise<{ client: RedisClient; subscriber: RedisClient }> {
  const client: RedisClient = createClient({
    url,
    name,
    // Reject instead of queueing while disconnected: callers want to degrade now, not hang.
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: connectTimeoutMs,
      // Capped at one second so a restarted Redis is back in use quickly.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  const subscriber = client.duplicate(name === undefined ? {} : { name: `${name}:sub` });
  for (const [role, connection] of [
    ['command', client],
    ['subscriber', subscriber],
  ] as const) {
    // node-redis emits 'error' on every failed reconnect attempt (and needs a listener, or
    // the process dies); report only the first one of each outage.
    let down = false;
    connection.on('ready', () => {
      down = false;
    });
    connection.on('error', (cause: unknown) => {
      if (down) return;
      down = true;
      onError(new RealtimeUnavailableError(`redis ${role} connection to ${redact(url)} failed`, { cause }));
    });
  }
  try {
    await withTimeout(
      Promise.all([client.connect(), subscriber.connect()]),
      connectTimeoutMs,
      `redis at ${redact(url)} did not answer within ${connectTimeoutMs} ms`,
    );
  } catch (err) {
    client.destroy();
    subscriber.destroy();
    throw err instanceof RealtimeUnavailableError
      ? err
      : new RealtimeUnavailableError(`cannot connect to redis at ${redact(url)}`, { cause: err });
  }
  return { client, subscriber };
}

/**
 * Closes a connection, waiting for replies in flight at most `timeoutMs` (a hung server
 * must not hang shutdown) before dropping it.
 *
 * @example
 * ```ts
 * await closeRedis(client, 1000);
 * ```
 */
export async function closeRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  if (!client.isOpen) return;
  try {
    await withTimeout(client.close(), timeoutMs, 'close timed out');
  } catch {
    client.destroy();
  }
}
