/**
 * @module
 * The lookup cache: tank id → what the gateway knows of the tank (its row and its location),
 * so a hot lookup runs no query. Entries are dropped by network events (`tank_deleted`,
 * `tank_moved`, …) and by this gateway's own writes; the TTL only bounds how long a missed event
 * (a dropped Redis subscription) can leave an entry wrong. Concurrent misses for one tank share
 * one load. When the event subscription breaks every entry is reloaded on its next use, and
 * until it is back new entries are trusted for `gapTtlMs` only; when it is back every entry is
 * reloaded again (the events of the break are gone). While the database is unreachable an expired entry is still answered (the tank
 * most likely runs where it last did, and the server refuses what is not its own); only a tank
 * this gateway never held is then unknown (503).
 */

import type { SubscriptionGap } from '../realtime/index.ts';
import { type Db, getTankWithLocation, StoreError } from '../store/index.ts';
import { type TankRecord, toRecord } from './views.ts';

export interface TankCache {
  /** The tank's record, loading it on a miss; undefined for an unknown tank. */
  get(tankId: string): Promise<TankRecord | undefined>;
  /** Puts a record the gateway already holds (after a create or a listing). */
  put(record: TankRecord): void;
  invalidate(tankId: string): void;
  clear(): void;
  /**
   * Events about the tanks may have been missed: `lost` (the subscription broke) or `resumed`
   * (it is back; what it missed is gone for good). Every entry is reloaded on its next use (and
   * still answered while the database is away); while lost, new entries live `gapTtlMs`.
   */
  eventsMissed(gap: SubscriptionGap): void;
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

export interface TankCacheOptions {
  db: Db;
  /** Longest an entry is trusted without an event confirming it. */
  ttlMs?: number;
  /** How long an entry is trusted while events are being missed. */
  gapTtlMs?: number;
  /** Most entries held; past it the oldest go first. */
  maxEntries?: number;
  /** Milliseconds; tests pass a fake one. */
  clock?: () => number;
}

interface Entry {
  record: TankRecord;
  expiresAt: number;
}

/**
 * @example
 * ```ts
 * const cache = createTankCache({ db, ttlMs: 60_000 });
 * const record = await cache.get(tankId); // one query on a miss, none on a hit
 * realtime.subscribe((e) => { if (e.type === 'tank_moved') cache.invalidate(e.tank_id); });
 * ```
 */
export function createTankCache({
  db,
  ttlMs = 60_000,
  gapTtlMs = 1000,
  maxEntries = 200_000,
  clock = Date.now,
}: TankCacheOptions): TankCache {
  const entries = new Map<string, Entry>();
  // A load that an invalidation overtook is marked stale: its result must not go back in.
  const loading = new Map<string, { promise: Promise<TankRecord | undefined>; stale: boolean }>();
  let hits = 0;
  let misses = 0;
  let trustMs = ttlMs;

  function put(record: TankRecord): void {
    if (entries.size >= maxEntries && !entries.has(record.tankId)) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(record.tankId, { record, expiresAt: clock() + trustMs });
  }

  function load(tankId: string): Promise<TankRecord | undefined> {
    const job = { promise: Promise.resolve<TankRecord | undefined>(undefined), stale: false };
    job.promise = (async () => {
      try {
        // One statement: a delete between two reads would show a tank with no server.
        const found = await getTankWithLocation(db, tankId);
        if (!found) return undefined;
        const record = toRecord(found.tank, found.location);
        if (!job.stale) put(record);
        return record;
      } finally {
        if (loading.get(tankId) === job) loading.delete(tankId);
      }
    })();
    loading.set(tankId, job);
    return job.promise;
  }

  return {
    async get(tankId) {
      const entry = entries.get(tankId);
      if (entry !== undefined && entry.expiresAt > clock()) {
        hits++;
        return entry.record;
      }
      misses++;
      try {
        return await (loading.get(tankId)?.promise ?? load(tankId));
      } catch (err) {
        const unreachable = err instanceof StoreError && err.code === 'store_unavailable';
        if (unreachable && entry !== undefined) return entry.record;
        throw err;
      }
    },
    put,
    invalidate(tankId) {
      entries.delete(tankId);
      const pending = loading.get(tankId);
      if (pending) pending.stale = true;
      loading.delete(tankId);
    },
    clear() {
      entries.clear();
      for (const pending of loading.values()) pending.stale = true;
      loading.clear();
    },
    eventsMissed(gap) {
      trustMs = gap === 'lost' ? Math.min(gapTtlMs, ttlMs) : ttlMs;
      // Expired, not dropped: while the database is away an expired entry is still the answer.
      for (const entry of entries.values()) entry.expiresAt = Number.NEGATIVE_INFINITY;
      for (const pending of loading.values()) pending.stale = true;
      loading.clear();
    },
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
  };
}
