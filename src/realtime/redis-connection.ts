/**
 * @module
 * The two node-redis connections behind `redis.ts` (commands, and a subscriber, since a
 * subscribed connection can run nothing else), set up to fail fast while Redis is away, to
 * come back by themselves, and not to hold up a process that starts while Redis is away.
 */
import { createClient, ErrorReply, type RedisClientType } from 'redis';
import { clientSpan } from '../telemetry/index.ts';
import { RealtimeUnavailableError } from './errors.ts';

export type RedisClient = RedisClientType;

export interface RedisConnectionOptions {
  url: string;
  /** CLIENT SETNAME for the command connection; the subscriber gets `<name>:sub`. */
  name?: string;
  commandTimeoutMs: number;
  /** How long `connectRedis` waits for the first connection before going on without it. */
  connectTimeoutMs: number;
  /** Told once when Redis becomes unreachable (at start or later), not once per retry. */
  onError: (err: unknown) => void;
  /** Told once when both connections are up again after `onError`. */
  onReady?: () => void;
}

/** The two connections: up, or still connecting in the background. */
export interface RedisConnections {
  client: RedisClient;
  subscriber: RedisClient;
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

/** Reconnect delays: doubling from 50 ms, capped at one second so a restarted Redis is back in use quickly. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 1000);
}

/**
 * Opens the command and subscriber connections and waits at most `connectTimeoutMs` for
 * them. Redis being away is no reason not to start (tanks and viewers need no Redis): past the
 * wait it resolves all the same, node-redis keeps retrying in the background (at
 * most a second apart, for as long as the process runs), and calls reject as unavailable until
 * it is there. One `onError` per outage and one `onReady` per recovery, across both
 * connections, so the log has a line per change of state rather than per attempt.
 *
 * @example
 * ```ts
 * const { client, subscriber } = await connectRedis({
 *   url, commandTimeoutMs: 1000, connectTimeoutMs: 2000, onError: (err) => logger.warn({ err }),
 * });
 * ```
 */
export async function connectRedis({
  url,
  name,
  commandTimeoutMs,
  connectTimeoutMs,
  onError,
  onReady = () => {},
}: RedisConnectionOptions): Promise<RedisConnections> {
  const client: RedisClient = createClient({
    url,
    name,
    // Reject instead of queueing while disconnected: callers want to degrade now, not hang.
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay },
  });
  const subscriber = client.duplicate(name === undefined ? {} : { name: `${name}:sub` });
  let down = false;
  for (const [role, connection] of [
    ['command', client],
    ['subscriber', subscriber],
  ] as const) {
    connection.on('ready', () => {
      if (!down || !client.isReady || !subscriber.isReady) return;
      down = false;
      onReady();
    });
    // node-redis emits 'error' on every failed reconnect attempt (and needs a listener, or
    // the process dies); report only the first one of each outage.
    connection.on('error', (cause: unknown) => {
      if (down) return;
      down = true;
      onError(new RealtimeUnavailableError(`redis ${role} connection to ${redact(url)} failed`, { cause }));
    });
  }
  // connect() retries by the strategy above until it succeeds; it rejects only when the
  // connection is closed first (shutdown during an outage), which is nothing to report.
  const both = Promise.all([client.connect(), subscriber.connect()]);
  both.catch(() => {});
  await withTimeout(both, connectTimeoutMs, 'start-up wait over').catch(() => {});
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
  // Still retrying (Redis away): nothing in flight to wait for, and close() would wait for a connection.
  if (!client.isReady) {
    client.destroy();
    return;
  }
  try {
    await withTimeout(client.close(), timeoutMs, 'close timed out');
  } catch {
    client.destroy();
  }
}

/**
 * Runs one round trip, or rejects with `RealtimeUnavailableError` at once when the
 * connection is down and after `timeoutMs` when Redis does not answer. The offline queue is
 * disabled for single commands, but MULTI and pipelines ignore that flag, so the readiness
 * check here is what keeps them from waiting out an outage. A write that timed out against a
 * hung (not dead) Redis may still land when it wakes: harmless, as every write is a whole value
 * with its own expiry.
 */
export async function runRedis<T>(
  client: RedisClient,
  op: string,
  fn: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  if (!client.isReady) throw new RealtimeUnavailableError(`redis is unreachable (${op})`);
  try {
    // One span per operation (its commands go in one pipeline), named by what it is for.
    return await withTimeout(
      clientSpan('tankworld_redis', `redis ${op}`, { 'db.system': 'redis', 'db.operation': op }, fn),
      timeoutMs,
      `redis did not answer ${op} within ${timeoutMs} ms`,
    );
  } catch (err) {
    // A reply error is a bug or a misconfigured server, not an outage: let it surface as one.
    if (err instanceof RealtimeUnavailableError || err instanceof ErrorReply) throw err;
    throw new RealtimeUnavailableError(`redis failed during ${op}`, { cause: err });
  }
}
