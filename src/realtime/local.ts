/**
 * @module
 * In-process real-time state for the embedded default: the same expiry rules as Redis
 * (against an injected clock) and the same codec, so nothing upstream can tell the two apart.
 */
import type { z } from 'zod';
import {
  checkTtl,
  decodeEvent,
  decodeRecord,
  type EncodedRecord,
  encodeEvent,
  encodeRecord,
} from './codec.ts';
import { RealtimeUnavailableError } from './errors.ts';
import {
  type EventHandler,
  type ExpiryOptions,
  type NetworkEvent,
  type Realtime,
  type ServerLoad,
  serverLoadSchema,
  type TankStats,
  tankStatsSchema,
  type Unsubscribe,
} from './types.ts';

export interface LocalRealtimeOptions {
  /** Milliseconds since the epoch; tests pass a fake one to expire entries without waiting. */
  clock?: () => number;
  /** Told about handler throws and undecodable values; defaults to a process warning. */
  onError?: (err: unknown) => void;
}

interface Entry {
  encoded: EncodedRecord;
  expiresAt: number;
}

/** Expiring records under one key space, swept in proportion to writes so memory stays bounded. */
class ExpiringRecords {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: () => number;
  #writesSinceSweep = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  set(key: string, encoded: EncodedRecord, ttlMs: number): void {
    this.#entries.set(key, { encoded, expiresAt: this.#clock() + ttlMs });
    // A full sweep every `size` writes costs O(1) per write and drops keys nobody reads again
    // (deleted tanks), which reads alone would never visit.
    if (++this.#writesSinceSweep >= this.#entries.size) this.#sweep();
  }

  get(key: string): EncodedRecord | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // Redis keys vanish at their expiry instant (PEXPIRE): live while now < expiresAt.
    if (entry.expiresAt <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.encoded;
  }

  keys(): string[] {
    this.#sweep();
    return [...this.#entries.keys()];
  }

  clear(): void {
    this.#entries.clear();
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    this.#writesSinceSweep = 0;
  }
}

class LocalRealtime implements Realtime {
  readonly #loads: ExpiringRecords;
  readonly #stats: ExpiringRecords;
  readonly #handlers = new Set<EventHandler>();
  readonly #onError: (err: unknown) => void;
  #closed = false;

  constructor({ clock = Date.now, onError }: LocalRealtimeOptions) {
    this.#loads = new ExpiringRecords(clock);
    this.#stats = new ExpiringRecords(clock);
    this.#onError = onError ?? ((err) => process.emitWarning(err as Error));
  }

  async setLoad(serverId: string, load: ServerLoad, options: ExpiryOptions): Promise<void> {
    this.#assertOpen();
    this.#loads.set(serverId, encodeRecord(serverLoadSchema, load, 'server load'), checkTtl(options));
  }

  async loads(): Promise<Map<string, ServerLoad>> {
    this.#assertOpen();
    const result = new Map<string, ServerLoad>();
    for (const serverId of this.#loads.keys()) {
      const load = this.#decode(serverLoadSchema, this.#loads.get(serverId), 'server load');
      if (load !== undefined) result.set(serverId, load);
    }
    return result;
  }

  async setTankStats(tankId: string, stats: TankStats, options: ExpiryOptions): Promise<void> {
    this.#assertOpen();
    this.#stats.set(tankId, encodeRecord(tankStatsSchema, stats, 'tank stats'), checkTtl(options));
  }

  async tankStats(tankIds: readonly string[]): Promise<Map<string, TankStats>> {
    this.#assertOpen();
    const result = new Map<string, TankStats>();
    for (const tankId of tankIds) {
      const stats = this.#decode(tankStatsSchema, this.#stats.get(tankId), 'tank stats');
      if (stats !== undefined) result.set(tankId, stats);
    }
    return result;
  }

  async publish(event: NetworkEvent): Promise<void> {
    this.#assertOpen();
    const text = encodeEvent(event);
    // Redis delivers after PUBLISH returns, to the subscribers present when it arrived, each
    // decoding its own copy: a snapshot, a microtask and a decode per handler do the same.
    const handlers = [...this.#handlers];
    queueMicrotask(() => {
      for (const handler of handlers) {
        if (!this.#handlers.has(handler)) continue;
        try {
          handler(decodeEvent(text));
        } catch (err) {
          this.#onError(err);
        }
      }
    });
  }

  async subscribe(handler: EventHandler): Promise<Unsubscribe> {
    this.#assertOpen();
    // Wrapped so subscribing the same function twice yields two independent subscriptions.
    const own: EventHandler = (event) => handler(event);
    this.#handlers.add(own);
    return async () => {
      this.#handlers.delete(own);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
    this.#loads.clear();
    this.#stats.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new RealtimeUnavailableError('real-time state is closed');
  }

  #decode<T>(schema: z.ZodType<T>, encoded: EncodedRecord | undefined, what: string): T | undefined {
    if (encoded === undefined) return undefined;
    try {
      return decodeRecord(schema, encoded, what);
    } catch (err) {
      this.#onError(err);
      return undefined;
    }
  }
}

/**
 * In-process real-time state; one per embedded network, shared by its gateway and servers.
 *
 * @example
 * ```ts
 * let now = 0;
 * const realtime = createLocalRealtime({ clock: () => now });
 * await realtime.setLoad('server-1', load, { ttlMs: 1000 });
 * now = 1000; // (await realtime.loads()).has('server-1') === false
 * ```
 */
export function createLocalRealtime(options: LocalRealtimeOptions = {}): Realtime {
  return new LocalRealtime(options);
}
