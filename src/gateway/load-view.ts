/**
 * @module
 * What placement reads, gathered at most once per `maxAgeMs`: every server's live load from
 * real-time state and the tank count per server from `tank_locations`. Between two reads the
 * view counts what this gateway did itself, so a burst spreads instead of piling onto the
 * server that looked emptiest at the last read:
 * - a create or move in flight (chosen, not yet answered) holds a place on its server, and its
 *   tank is left out of the count query (whether its row committed yet is unknown);
 * - a tank placed since the count query started is added to that count;
 * - a tank placed since a server's last load report adds the CPU a tank costs there (at least
 *   `minTankCpuPercent`) to that report.
 * Another gateway's creates show in the next count once committed. The count reads every
 * location: it is asked again after `maxAgeMs`, or after ten times what the last one took when
 * that is longer (270 ms at a million tanks; asked every second, it took a core of PostgreSQL
 * from the failover that was placing). Real-time state being down degrades placement to tank
 * counts.
 */
import type { ServerInstance } from '../discovery/index.ts';
import type { Realtime, ServerLoad } from '../realtime/index.ts';
import { countTanksByServer, type Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { PlacementInput, PlacementStrategy } from './placement.ts';

/** A server chosen for a create or move in flight, holding its place until `release`. */
export interface Choice {
  serverId: string;
  /** Ends the hold once the attempt ended (`placed` counts it if it landed); idempotent. */
  release(): void;
}

export interface ChooseOptions {
  regionHint?: string;
  /** The tank being created or moved: counted by its hold, not by the count query. */
  tankId?: string;
  /** Tubes from that tank to tanks on each server (`tube-peers.ts`), for `followTubes`. */
  peers?: Record<string, number>;
}

export interface LoadView {
  input(regionHint?: string): Promise<PlacementInput>;
  /**
   * Chooses among `servers` and holds the place at once, in one step after the reads: creates
   * that ask at the same moment each see the others' holds, so a burst spreads.
   */
  choose(
    strategy: PlacementStrategy,
    servers: readonly ServerInstance[],
    options?: ChooseOptions,
  ): Promise<Choice | undefined>;
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

/** Adds one to a per-server tally. */
/** The count may take at most this share of the time: a slower one is asked for less often. */
const COUNT_SHARE = 0.1;
/** However slow the count, another gateway's tanks show in placement within this long. */
const MAX_COUNT_AGE_MS = 30_000;

function bump(tally: Map<string, number>, serverId: string, by = 1): void {
  const n = (tally.get(serverId) ?? 0) + by;
  if (n === 0) tally.delete(serverId);
  else tally.set(serverId, n);
}

/**
 * @example
 * ```ts
 * const loads = createLoadView({ db, realtime, logger });
 * const choice = await loads.choose(placement, directory.healthy(), { regionHint: 'eu-west-1', tankId });
 * try { await create(choice.serverId); loads.placed(choice.serverId); } finally { choice.release(); }
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
  /** Creates and moves in flight per server, and the tanks they are for. */
  const inFlight = new Map<string, number>();
  const heldTanks = new Map<string, number>();
  let loads: { at: number; value: Map<string, ServerLoad> } | undefined;
  /** The last count read from the database, and the placements since that query started. */
  let counts: { at: number; value: Record<string, number>; since: Map<string, number> } | undefined;
  /** How long the last count stays current: `maxAgeMs`, longer when the query is slow. */
  let countAgeMs = maxAgeMs;
  /** Placements since the pending count query started (they may be missing from its answer). */
  let sincePendingCount: Map<string, number> | undefined;
  let loadsPending: Promise<Map<string, ServerLoad>> | undefined;
  let countsPending: Promise<void> | undefined;
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

  /** The reported loads with the tanks placed (or in flight) since each report added on. */
  function withPlacements(reported: Map<string, ServerLoad>): Map<string, ServerLoad> {
    if (sinceReport.size === 0 && inFlight.size === 0) return reported;
    const adjusted = new Map(reported);
    for (const [serverId, { report }] of sinceReport) {
      if (reported.get(serverId)?.updated_at !== report) sinceReport.delete(serverId); // a newer report counts them
    }
    for (const serverId of new Set([...sinceReport.keys(), ...inFlight.keys()])) {
      const load = reported.get(serverId);
      if (load === undefined) continue;
      const count = (sinceReport.get(serverId)?.count ?? 0) + (inFlight.get(serverId) ?? 0);
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

  function readCounts(): Promise<void> {
    if (counts && clock() - counts.at < countAgeMs) return Promise.resolve();
    if (countsPending) return countsPending;
    const startedAt = clock();
    // Tanks placed before this query starts are committed, so its answer holds them; those
    // placed while it runs may be missing from it and are carried over.
    const since = new Map<string, number>();
    sincePendingCount = since;
    countsPending = countTanksByServer(db, { excluding: [...heldTanks.keys()] })
      .then((value) => {
        const at = clock();
        counts = { at, value, since };
        countAgeMs = Math.min(Math.max(maxAgeMs, (at - startedAt) / COUNT_SHARE), MAX_COUNT_AGE_MS);
      })
      .finally(() => {
        if (sincePendingCount === since) sincePendingCount = undefined;
        countsPending = undefined;
      });
    return countsPending;
  }

  /** Counted tanks, placements since, and holds in flight. */
  function projectedCounts(): Record<string, number> {
    const projected: Record<string, number> = { ...counts?.value };
    for (const tally of [counts?.since, inFlight])
      for (const [serverId, n] of tally ?? []) projected[serverId] = (projected[serverId] ?? 0) + n;
    return projected;
  }

  /** The input as of now: the last reads plus this gateway's placements and holds since. */
  function current(regionHint?: string, peers?: Record<string, number>): PlacementInput {
    const input = {
      regionHint,
      loads: withPlacements(loads?.value ?? new Map()),
      tankCounts: projectedCounts(),
    };
    return peers === undefined ? input : { ...input, peers };
  }

  async function input(regionHint?: string): Promise<PlacementInput> {
    await Promise.all([readLoads(), readCounts()]);
    return current(regionHint);
  }

  function reserve(serverId: string, tankId: string | undefined): () => void {
    bump(inFlight, serverId);
    if (tankId !== undefined) bump(heldTanks, tankId);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      bump(inFlight, serverId, -1);
      if (tankId !== undefined) bump(heldTanks, tankId, -1);
    };
  }

  return {
    input,
    async choose(strategy, servers, { regionHint, tankId, peers } = {}) {
      await Promise.all([readLoads(), readCounts()]);
      // From here to the hold nothing awaits: the next caller's input includes this hold.
      const serverId = strategy.choose(servers, current(regionHint, peers));
      return serverId === undefined ? undefined : { serverId, release: reserve(serverId, tankId) };
    },
    placed(serverId) {
      if (counts) bump(counts.since, serverId);
      if (sincePendingCount) bump(sincePendingCount, serverId);
      const report = loads?.value.get(serverId)?.updated_at;
      if (report === undefined) return;
      const pending = sinceReport.get(serverId);
      sinceReport.set(serverId, { report, count: pending?.report === report ? pending.count + 1 : 1 });
    },
    async counts() {
      await readCounts();
      return projectedCounts();
    },
  };
}
