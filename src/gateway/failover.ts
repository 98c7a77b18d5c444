/**
 * @module
 * Failover: a tank server whose heartbeat check has been critical (or which left the registry)
 * for `graceMs` has its tanks restored on healthy servers, each by an epoch compare-and-set
 * (`failover-moves.ts`). The grace is at least the lease margin plus one round of these passes
 * (`fleetTiming`): the old owner's lease ran out a margin before its check turned critical, so
 * it has always fenced itself (stopped its tanks) before they are restored. A server that is
 * simply absent (deregistered, or an agent that restarted empty) gives no such moment: it is
 * waited for `absentGraceMs`, its whole lease more, since it may have passed just before.
 * docs/failover.md.
 */
import { eachLimited } from '../batch/index.ts';
import { listLocationsByServer, listTankOwners } from '../store/index.ts';
import { createTankMover } from './failover-moves.ts';
import type { Placing } from './placing.ts';

export interface Failover {
  start(): void;
  /** Stops the timer and waits for a running pass. Idempotent. */
  stop(): Promise<void>;
  /** Runs one pass now (the timer and discovery changes run them too). */
  reconcile(): Promise<void>;
}

export interface FailoverOptions extends Placing {
  /** How long a server's heartbeat check must stay critical before its tanks move. */
  graceMs?: number;
  /**
   * How long a server must stay absent from discovery (never seen critical) before its tanks
   * move: the grace plus its lease (`fleetTiming`); the grace alone when not given.
   */
  absentGraceMs?: number;
  /** Interval of passes between discovery changes (one watch round). */
  intervalMs?: number;
  /** Tanks adopted at once. */
  concurrency?: number;
  /** Called with each tank moved (metrics). */
  onMoved?: (tankId: string, from: string, to: string) => void;
  clock?: () => number;
}

/**
 * @example
 * ```ts
 * const failover = createFailover({ db, directory, realtime, placement, loads, serverClient, cache, logger, graceMs: 2000, intervalMs: 1000 });
 * failover.start();
 * ```
 */
export function createFailover({
  graceMs = 2000,
  absentGraceMs = graceMs,
  intervalMs = Math.max(100, Math.min(graceMs / 2, 5000)),
  concurrency = 8,
  onMoved = () => {},
  clock = Date.now,
  ...placing
}: FailoverOptions): Failover {
  const { db, directory, logger } = placing;
  /** When each down server was first seen down, and the grace that applies to how it went. */
  const downSince = new Map<string, { at: number; graceMs: number }>();
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const mover = createTankMover({ ...placing, onMoved, stopped: () => stopped });

  async function evacuate(serverId: string): Promise<void> {
    const locations = await listLocationsByServer(db, serverId);
    if (locations.length === 0) return;
    logger.warn(
      { server_id: serverId, tanks: locations.length },
      'server unavailable past its grace period: moving its tanks',
    );
    let stranded = 0;
    // Stops when failover stops, or when the server came back while earlier tanks were moved.
    const until = () => stopped || !directory.heartbeatFailed(serverId);
    await eachLimited(locations, { limit: concurrency, until }, async ({ tankId, epoch }) => {
      try {
        if (!(await mover.rescue(tankId, serverId, serverId, epoch))) stranded++;
      } catch (err) {
        stranded++;
        logger.error({ err, tank_id: tankId }, 'failover of a tank failed');
      }
    });
    if (stranded > 0)
      logger.error(
        { server_id: serverId, stranded },
        'some tanks found no healthy server; retrying next pass',
      );
  }

  async function pass(): Promise<void> {
    if (mover.unadopted > 0) await mover.retryUnadopted();
    const owners = await listTankOwners(db);
    const now = clock();
    // The heartbeat, not the aggregate status: a server whose sidecar died still holds its
    // lease and runs its tanks (lookups stop naming it; its tanks are not restored elsewhere).
    const down = new Set(owners.filter((id) => directory.heartbeatFailed(id)));
    for (const id of [...downSince.keys()]) if (!down.has(id)) downSince.delete(id);
    for (const id of down) {
      // Seen critical first, the grace runs from then even if it is reaped later.
      if (!downSince.has(id))
        downSince.set(id, { at: now, graceMs: directory.get(id) ? graceMs : absentGraceMs });
      const since = downSince.get(id)!;
      if (now - since.at >= since.graceMs && !stopped) await evacuate(id);
    }
  }

  function reconcile(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'failover pass failed; retrying on the next');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    start() {
      unlisten = directory.onChange(() => void reconcile());
      timer = setInterval(() => void reconcile(), intervalMs);
      timer.unref();
      void reconcile();
    },
    async stop() {
      stopped = true;
      unlisten?.();
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    reconcile,
  };
}
