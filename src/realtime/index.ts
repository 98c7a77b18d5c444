/**
 * @module
 * Real-time state: server load and tank stats that expire unless refreshed, and network
 * events over publish/subscribe. Redis in a distributed network, in-process otherwise;
 * the CLI creates one and hands it down.
 */
import { createLocalRealtime } from './local.ts';
import { createRedisRealtime } from './redis.ts';
import type { Realtime } from './types.ts';

export { InvalidRealtimeValueError, RealtimeUnavailableError } from './errors.ts';
export {
  type EventHandler,
  type ExpiryOptions,
  type NetworkEvent,
  type NetworkEventType,
  type Realtime,
  type ServerLoad,
  type SubscribeOptions,
  type SubscriptionGap,
  type TankStats,
  TransferStep,
  type Unsubscribe,
} from './types.ts';

export interface RealtimeOptions {
  /** Use Redis at this URL; without it the state stays in this process. */
  redisUrl?: string;
  /** Put before every Redis key and channel (test files and deployments sharing a Redis). */
  prefix?: string;
  /** Milliseconds since the epoch; in-process expiry runs on it (tests pass a fake one). */
  clock?: () => number;
  /** Redis only: the connection name CLIENT LIST shows (e.g. the server id). */
  name?: string;
  /** Redis only: how long a command may take before it rejects as unavailable. */
  commandTimeoutMs?: number;
  /** Redis only: how long creation waits for the first connection before going on without it. */
  connectTimeoutMs?: number;
  /** Told about outages, handler throws and undecodable data; defaults to a process warning. */
  onError?: (err: unknown) => void;
  /** Redis only: told once Redis is reachable again after an outage reported to `onError`. */
  onReady?: () => void;
}

/**
 * Creates real-time state: Redis when `redisUrl` is set, in-process when not. An unreachable
 * Redis does not stop it: calls reject with `RealtimeUnavailableError` until Redis answers.
 *
 * @example
 * ```ts
 * const realtime = await createRealtime({
 *   redisUrl: config.distributed ? config.redisUrl : undefined,
 *   onError: (err) => logger.warn({ err }, 'realtime'),
 * });
 * await realtime.publish({ type: 'server_up', server_id: 'server-1', at: new Date().toISOString() });
 * await realtime.close();
 * ```
 */
export async function createRealtime({
  redisUrl,
  prefix = 'tankworld:',
  clock,
  name,
  commandTimeoutMs,
  connectTimeoutMs,
  onError,
  onReady,
}: RealtimeOptions = {}): Promise<Realtime> {
  if (redisUrl === undefined) return createLocalRealtime({ clock, onError });
  return createRedisRealtime({
    url: redisUrl,
    name,
    prefix,
    clock,
    commandTimeoutMs,
    connectTimeoutMs,
    onError,
    onReady,
  });
}
