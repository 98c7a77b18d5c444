/**
 * @module
 * What placement reads, gathered at most once per `maxAgeMs`: every server's live load from
 * real-time state and the tank count per server from `tank_locations`. Placements made since the
 * last count, and since the server's last load report, are added locally (each as the CPU a tank
 * costs there, at least `minTankCpuPercent`), so a burst of creates spreads instead of piling
 * onto the server that looked idlest at its last heartbeat. Real-time state being down degrades
 * placement to tank counts.
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
  /** Least CPU a placed tank is assumed to add until its server reports again. */
  minTankCpuPercent?: number;
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
  minTankCpuPercent = 1,
  clock = Date.now,
}: LoadViewOptions): LoadView {
  /** Tanks placed on each server since the load report they were placed against. */
  const sinceReport = new Map<string, { report: string; count: number }>();
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

  /** The reported loads with the tanks placed since each report added on. */
  function withPlacements(reported: Map<string, ServerLoad>): Map<string, ServerLoad> {
    if (sinceReport.size === 0) return reported;
    const adjusted = new Map(reported);
    for (const [serverId, { report, count }] of sinceReport) {
      const load = reported.get(serverId);
      if (load === undefined || load.updated_at !== report) {
        sinceReport.delete(serverId); // a newer report already counts those tanks
        continue;
      }
      // A tank's share of its server's CPU, bounded: an empty or just-started server's CPU says
      // nothing about what one more tank costs.
      const share = load.tank_count > 0 ? load.cpu_percent / load.tank_count : minTankCpuPercent;
      const perTank = Math.min(Math.max(share, minTankCpuPercent), 5 * minTankCpuPercent);
      adjusted.set(serverId, {
        ...load,
        tank_count: load.tank_count + count,
        cpu_percent: load.cpu_percent + count * perTank,
      });
    }
    return adjusted;
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
      return { regionHint, loads: withPlacements(l), tankCounts: { ...c } };
    },
    placed(serverId) {
      if (counts) counts.value[serverId] = (counts.value[serverId] ?? 0) + 1;
      const report = loads?.value.get(serverId)?.updated_at;
      if (report === undefined) return;
      const pending = sinceReport.get(serverId);
      sinceReport.set(serverId, { report, count: pending?.report === report ? pending.count + 1 : 1 });
    },
    counts: readCounts,
  };
}
