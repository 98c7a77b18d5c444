/**
 * @module
 * Real-time state in Redis, shared by every process of a distributed network.
 *
 * Layout under `prefix` (no SCAN anywhere, so reads cost the same however big Redis is):
 * - `load:<server>`  hash, one JSON value per field, PEXPIRE'd: Redis alone decides expiry;
 * - `loads`          sorted set of server ids scored by their expiry time: the index
 *                    `loads()` reads instead of scanning; members are pruned a minute after
 *                    their score, so writer clock skew under a minute loses nothing;
 * - `stats:<tank>`   hash like `load:`; callers ask for tanks by id, so no index;
 * - `events`         the pub/sub channel, received on a second (duplicated) connection
 *                    because a subscribed connection can run no other command.
 */

import { checkTtl, decodeAll, decodeEvent, type EncodedRecord, encodeEvent, encodeRecord } from './codec.ts';
import { RealtimeUnavailableError } from './errors.ts';
import { closeRedis, connectRedis, type RedisClient, runRedis } from './redis-connection.ts';
import {
  type EventHandler,
  type ExpiryOptions,
  type NetworkEvent,
  type Realtime,
  type ServerLoad,
  type SubscribeOptions,
  type SubscriptionGap,
  serverLoadSchema,
  type TankStats,
  tankStatsSchema,
  type Unsubscribe,
} from './types.ts';

export interface RedisRealtimeOptions {
  /** `redis://[user:password@]host:port[/db]` */
  url: string;
  /** Put before every key and the channel, so deployments and test files can share a Redis. */
  prefix?: string;
  /** Milliseconds since the epoch; only scores the `loads` index (Redis owns real expiry). */
  clock?: () => number;
  /** Shown by CLIENT LIST (e.g. the server id), so an operator can tell connections apart. */
  name?: string;
  /** How long a command may take before it rejects as unavailable. */
  commandTimeoutMs?: number;
  /** How long creation waits for the first connection before going on without it. */
  connectTimeoutMs?: number;
  /** Told once per outage, and about handler throws and undecodable data. */
  onError?: (err: unknown) => void;
  /** Told once when Redis is reachable again after an outage (or after starting without it). */
  onReady?: () => void;
}

/** Index members stay this long past their expiry score: tolerance for clock skew between writers. */
const INDEX_GRACE_MS = 60_000;

class RedisRealtime implements Realtime {
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #onError: (err: unknown) => void;
  /** Each subscriber's handler, with its gap listener when it gave one. */
  readonly #handlers = new Map<EventHandler, ((gap: SubscriptionGap) => void) | undefined>();
  /** The subscriber connection broke and has not delivered since: events may be missing. */
  #lost = false;
  #subscribed: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    client: RedisClient,
    subscriber: RedisClient,
    options: Required<Omit<RedisRealtimeOptions, 'url' | 'name' | 'connectTimeoutMs' | 'onReady'>>,
  ) {
    this.#client = client;
    this.#subscriber = subscriber;
    this.#prefix = options.prefix;
    this.#channel = `${options.prefix}events`;
    this.#clock = options.clock;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#onError = options.onError;
    // A subscription asked for while Redis was away is made once the subscriber is up; after
    // that node-redis re-subscribes by itself on every reconnect.
    subscriber.on('ready', () => {
      if (this.#handlers.size > 0) this.#subscribeSoon().catch(this.#onError);
      // A reconnect re-subscribed the channel before 'ready': the break is over.
      this.#subscribed?.then(() => this.#gap(false)).catch(() => undefined);
    });
    // node-redis reports every broken or failed connection as 'error'; whatever was published
    // until it is back is lost for this subscriber.
    subscriber.on('error', () => this.#gap(true));
  }

  async setLoad(serverId: string, load: ServerLoad, options: ExpiryOptions): Promise<void> {
    const encoded = encodeRecord(serverLoadSchema, load, 'server load');
    const ttlMs = checkTtl(options);
    const key = this.#key('load', serverId);
    // One MULTI: a reader never sees the hash without its expiry or the index without the hash.
    await this.#run('setLoad', () =>
      this.#client
        .multi()
        .hSet(key, encoded)
        .pExpire(key, ttlMs)
        .zAdd(this.#loadIndex(), { score: this.#clock() + ttlMs, value: serverId })
        .exec(),
    );
  }

  async loads(): Promise<Map<string, ServerLoad>> {
    const index = this.#loadIndex();
    const [, ids] = (await this.#run('loads', () =>
      this.#client
        .multi()
        .zRemRangeByScore(index, '-inf', this.#clock() - INDEX_GRACE_MS)
        .zRange(index, 0, -1)
        .exec(),
    )) as [unknown, string[]];
    const hashes = await this.#readHashes(
      'loads',
      ids.map((id) => this.#key('load', id)),
    );
    return decodeAll(ids, hashes, serverLoadSchema, 'server load', this.#onError);
  }

  async setTankStats(tankId: string, stats: TankStats, options: ExpiryOptions): Promise<void> {
    const encoded = encodeRecord(tankStatsSchema, stats, 'tank stats');
    const ttlMs = checkTtl(options);
    const key = this.#key('stats', tankId);
    await this.#run('setTankStats', () => this.#client.multi().hSet(key, encoded).pExpire(key, ttlMs).exec());
  }

  async tankStats(tankIds: readonly string[]): Promise<Map<string, TankStats>> {
    const hashes = await this.#readHashes(
      'tankStats',
      tankIds.map((id) => this.#key('stats', id)),
    );
    return decodeAll(tankIds, hashes, tankStatsSchema, 'tank stats', this.#onError);
  }

  async publish(event: NetworkEvent): Promise<void> {
    const text = encodeEvent(event);
    await this.#run('publish', () => this.#client.publish(this.#channel, text));
  }

  async subscribe(handler: EventHandler, { onGap }: SubscribeOptions = {}): Promise<Unsubscribe> {
    // Checked here too: once the channel is subscribed, #ensureSubscribed runs nothing.
    if (this.#closing) throw new RealtimeUnavailableError('real-time state is closed');
    // Wrapped so subscribing the same function twice yields two independent subscriptions.
    const own: EventHandler = (event) => handler(event);
    this.#handlers.set(own, onGap);
    // While Redis is away the handler waits for the subscriber's next 'ready' (see the
    // constructor): a gateway or server that starts during an outage hears events once it ends.
    await this.#subscribeSoon().catch((err: unknown) => {
      this.#handlers.delete(own);
      throw err;
    });
    // The channel stays subscribed until close(): one idle subscription costs nothing, and
    // an UNSUBSCRIBE racing a new subscribe() is a class of bug not worth having.
    return async () => {
      this.#handlers.delete(own);
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#handlers.clear();
    await Promise.all([this.#client, this.#subscriber].map((client) => closeRedis(client, this.#timeoutMs)));
  }

  /** Subscribes now if the subscriber is up; an outage meanwhile leaves it to the next 'ready'. */
  async #subscribeSoon(): Promise<void> {
    if (!this.#subscriber.isReady || this.#closing) return;
    await this.#ensureSubscribed().catch((err: unknown) => {
      // A reply error is a fault to surface; being cut off is not.
      if (!(err instanceof RealtimeUnavailableError)) throw err;
    });
  }

  /** Tells the subscribers once when the subscription breaks and once when it is whole again. */
  #gap(lost: boolean): void {
    if (this.#lost === lost || this.#closing) return;
    this.#lost = lost;
    for (const listener of [...this.#handlers.values()]) {
      if (!listener) continue;
      try {
        listener(lost ? 'lost' : 'resumed');
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  #ensureSubscribed(): Promise<void> {
    // node-redis keeps the channel's listener and re-subscribes by itself after a reconnect;
    // the same bound listener each time keeps a retried SUBSCRIBE from adding a second one.
    this.#subscribed ??= this.#run(
      'subscribe',
      () => this.#subscriber.subscribe(this.#channel, this.#onMessage),
      this.#subscriber,
    )
      .then(() => this.#gap(false))
      .catch((err: unknown) => {
        this.#subscribed = undefined;
        throw err;
      });
    return this.#subscribed;
  }

  readonly #onMessage = (message: string): void => {
    // node-redis re-subscribes before its 'ready': the first message after a break may come
    // before 'ready' does, and a subscriber must hear of the break's end before any event.
    this.#gap(false);
    for (const handler of [...this.#handlers.keys()]) {
      let event: NetworkEvent;
      try {
        // One decode per handler, as in local.ts: no handler can alter what another sees.
        event = decodeEvent(message);
      } catch (err) {
        this.#onError(err);
        return;
      }
      try {
        handler(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  };

  async #readHashes(op: string, keys: string[]): Promise<EncodedRecord[]> {
    if (keys.length === 0) return [];
    const replies = await this.#run(op, () => {
      const pipeline = this.#client.multi();
      for (const key of keys) pipeline.hGetAll(key);
      return pipeline.execAsPipeline();
    });
    return replies as unknown as EncodedRecord[];
  }

  /** One round trip (see `runRedis`), refused once closing. */
  #run<T>(op: string, fn: () => Promise<T>, client = this.#client): Promise<T> {
    if (this.#closing) return Promise.reject(new RealtimeUnavailableError('real-time state is closed'));
    return runRedis(client, op, fn, this.#timeoutMs);
  }

  #key(kind: 'load' | 'stats', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  #loadIndex(): string {
    return `${this.#prefix}loads`;
  }
}

/**
 * Connects to Redis and returns real-time state backed by it. Waits at most
 * `connectTimeoutMs` for the first connection; if Redis is not there by then (reported once to
 * `onError`), it resolves anyway and keeps connecting in the background. Until Redis answers,
 * and during any later outage, calls reject with `RealtimeUnavailableError`; subscriptions made
 * meanwhile start, and earlier ones resume, once it is back (`onReady`).
 *
 * @example
 * ```ts
 * const realtime = await createRedisRealtime({
 *   url: 'redis://127.0.0.1:6379',
 *   prefix: 'tankworld:',
 *   onError: (err) => logger.warn({ err }, 'realtime'),
 * });
 * ```
 */
export async function createRedisRealtime({
  url,
  name,
  prefix = 'tankworld:',
  clock = Date.now,
  commandTimeoutMs = 1000,
  connectTimeoutMs = 5000,
  onError = (err) => process.emitWarning(err as Error),
  onReady,
}: RedisRealtimeOptions): Promise<Realtime> {
  const { client, subscriber } = await connectRedis({
    url,
    name,
    commandTimeoutMs,
    connectTimeoutMs,
    onError,
    onReady,
  });
  return new RedisRealtime(client, subscriber, { prefix, clock, commandTimeoutMs, onError });
}
