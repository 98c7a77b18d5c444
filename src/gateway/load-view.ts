/**
 * @module
 * What placement reads, gathered at most once per `maxAgeMs`: every server's live load from
 * real-time state and the tank count per server from `tank_locations`. Placements made since the
 * last count are added locally, so a burst of creates spreads instead of piling onto the server
 * that was emptiest a moment ago. Real-time state being down degrades placement to tank counts.
 */
import type { Realtime, ServerLoad } from '../realtime/index.ts';
import { countTanksByServer, type Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { PlacementInput } from './placement.ts';

export interface LoadView {
  input(regionHint?: string): Promise<PlacementInput>;
  /** Counts a tank just placed on (or moved to) a server until the next count. */
  placed(serverId: string): void;
  /** Tank counts per server as of the last count plus local placements. */
  counts(): Promise<Record<string, number>>;
}

export interface LoadViewOptions {
  db: Db;
  realtime: Realtime;
  logger: Logger;
  maxAgeMs?: number;
  clock?: () => number;
}

/**
 * @example
 * ```ts
 * const loads = createLoadView({ db, realtime, logger });
 * const serverId = placement.choose(directory.healthy(), await loads.input('eu-west-1'));
 * loads.placed(serverId);
 * ```
 */
export function createLoadView({
  db,
  realtime,
  logger,
  maxAgeMs = 1000,
  clock = Date.now,
}: LoadViewOptions): LoadView {
  let loads: { at: number; value: Map<string, ServerLoad> } | undefined;
  let counts: { at: number; value: Record<string, number> } | undefined;
  let loadsPending: Promise<Map<string, ServerLoad>> | undefined;
  let countsPending: Promise<Record<string, number>> | undefined;
  let realtimeDown = false;

  async function readLoads(): Promise<Map<string, ServerLoad>> {
    if (loads && clock() - loads.at < maxAgeMs) return loads.value;
    loadsPending ??= realtime
      .loads()
      .then((value) => {
        if (realtimeDown) logger.info('real-time loads readable again');
        realtimeDown = false;
        return value;
      })
      .catch((err) => {
        if (!realtimeDown)
          logger.warn({ err: (err as Error).message }, 'real-time loads unreadable; placing by tank count');
        realtimeDown = true;
        return new Map<string, ServerLoad>();
      })
      .then((value) => {
        loads = { at: clock(), value };
        return value;
      })
      .finally(() => {
        loadsPending = undefined;
      });
    return loadsPending;
  }

  async function readCounts(): Promise<Record<string, number>> {
    if (counts && clock() - counts.at < maxAgeMs) return counts.value;
    countsPending ??= countTanksByServer(db)
      .then((value) => {
        counts = { at: clock(), value };
        return value;
      })
      .finally(() => {
        countsPending = undefined;
      });
    return countsPending;
  }

  return {
    async input(regionHint) {
      const [l, c] = await Promise.all([readLoads(), readCounts()]);
      return { regionHint, loads: l, tankCounts: { ...c } };
    },
    placed(serverId) {
      if (counts) counts.value[serverId] = (counts.value[serverId] ?? 0) + 1;
    },
    counts: readCounts,
  };
}
