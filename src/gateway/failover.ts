/**
 * @module
 * Failover: when a tank server stays unavailable (critical, or gone from discovery)
 * for a grace period, each of its tanks is moved to a healthy server — a compare-and-set on the
 * location that bumps the epoch — and that server is asked to adopt it from its latest snapshot.
 * The epoch fences the old server: if it comes back, its snapshot writes are refused and it
 * stops its copies, so a partitioned server cannot fork a tank. The CAS also makes concurrent
 * gateways safe: only one move per epoch wins. A pass runs on every discovery change and on a
 * timer, so tanks of a server that was down before the gateway started are moved too. A tank
 * moved to a server that could not adopt it (and no other could either) is kept and asked for
 * again on each pass: its location names a healthy server, so nothing else would notice it is
 * not running.
 */
import { ApiError } from '../http/index.ts';
import { countTanksByServer, listLocationsByServer, moveTank, StoreError } from '../store/index.ts';
import type { Placing } from './placing.ts';

export interface Failover {
  start(): void;
  /** Stops the timer and waits for a running pass. Idempotent. */
  stop(): Promise<void>;
  /** Runs one pass now (the timer and discovery changes run them too). */
  reconcile(): Promise<void>;
}

export interface FailoverOptions extends Placing {
  /** How long a server must stay unavailable before its tanks move. */
  graceMs?: number;
  /** Interval of passes between discovery changes. */
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
 * const failover = createFailover({ db, directory, realtime, placement, loads, serverClient, cache, logger, graceMs: 30_000 });
 * failover.start();
 * ```
 */
export function createFailover({
  db,
  directory,
  realtime,
  placement,
  loads,
  serverClient,
  cache,
  logger,
  graceMs = 30_000,
  intervalMs = Math.max(250, Math.min(graceMs / 2, 5000)),
  concurrency = 8,
  onMoved = () => {},
  clock = Date.now,
}: FailoverOptions): Failover {
  const downSince = new Map<string, number>();
  /** Tanks whose location names a server that has not adopted them yet, by tank id. */
  const unadopted = new Map<string, { from: string; at: string; epoch: number }>();
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function announce(tankId: string, from: string, to: string, epoch: number): Promise<void> {
    const at = new Date().toISOString();
    await realtime
      .publish({ type: 'tank_moved', tank_id: tankId, from, to, epoch, at })
      .catch((err) =>
        logger.warn({ err: (err as Error).message, tank_id: tankId }, 'could not publish tank_moved'),
      );
    onMoved(tankId, from, to);
    logger.info({ tank_id: tankId, from, to, epoch }, 'tank failed over');
  }

  /**
   * Moves one tank off `at` (where its location names it at `epoch`), trying each healthy
   * server once; true when adopted somewhere or no longer ours to move. `from` is the server
   * that went down, for the event.
   */
  async function rescue(tankId: string, from: string, at: string, epoch: number): Promise<boolean> {
    let expectedEpoch = epoch;
    const tried = new Set<string>([from, at]);
    for (;;) {
      const candidates = directory.healthy().filter((s) => !tried.has(s.serverId));
      if (candidates.length === 0) return false;
      const choice = await loads.choose(placement, candidates, { tankId });
      if (choice === undefined) return false;
      const to = choice.serverId;
      tried.add(to);
      let newEpoch: number;
      try {
        newEpoch = await moveTank(db, { tankId, toServerId: to, expectedEpoch });
      } catch (err) {
        // Another gateway (or a delete) got there first: the tank is not ours to move.
        if (err instanceof StoreError && (err.code === 'stale_epoch' || err.code === 'not_found')) {
          unadopted.delete(tankId);
          return true;
        }
        throw err;
      } finally {
        choice.release();
      }
      cache.invalidate(tankId);
      loads.placed(to);
      try {
        await serverClient.adoptTank(to, tankId, newEpoch);
      } catch (err) {
        // The location names `to` now: remembered until some server adopts it; the next
        // candidate moves it on from this epoch.
        unadopted.set(tankId, { from, at: to, epoch: newEpoch });
        logger.warn(
          { err: (err as Error).message, tank_id: tankId, server_id: to },
          'adopt failed; moving the tank on',
        );
        expectedEpoch = newEpoch;
        continue;
      }
      unadopted.delete(tankId);
      await announce(tankId, from, to, newEpoch);
      return true;
    }
  }

  /** Asks again for each moved tank no server adopted: where it is now, else on another server. */
  async function retryUnadopted(): Promise<void> {
    for (const [tankId, { from, at, epoch }] of [...unadopted]) {
      if (stopped) return;
      if (directory.isAvailable(at)) {
        try {
          await serverClient.adoptTank(at, tankId, epoch);
          unadopted.delete(tankId);
          await announce(tankId, from, at, epoch);
          continue;
        } catch (err) {
          // Moved on by another gateway, or deleted: not ours any more.
          if (err instanceof ApiError && (err.code === 'stale_epoch' || err.code === 'tank_not_found')) {
            unadopted.delete(tankId);
            continue;
          }
          logger.warn(
            { err: (err as Error).message, tank_id: tankId, server_id: at },
            'adopt failed again; trying another server',
          );
        }
      }
      try {
        await rescue(tankId, from, at, epoch);
      } catch (err) {
        logger.error({ err, tank_id: tankId }, 'failover of an unadopted tank failed');
      }
    }
  }

  async function evacuate(serverId: string): Promise<void> {
    const locations = await listLocationsByServer(db, serverId);
    if (locations.length === 0) return;
    logger.warn(
      { server_id: serverId, tanks: locations.length },
      'server unavailable past its grace period: moving its tanks',
    );
    let next = 0;
    let stranded = 0;
    async function worker(): Promise<void> {
      while (next < locations.length && !stopped) {
        const { tankId, epoch } = locations[next++]!;
        // It may have come back while earlier tanks were moved.
        if (directory.isAvailable(serverId)) return;
        try {
          if (!(await rescue(tankId, serverId, serverId, epoch))) stranded++;
        } catch (err) {
          stranded++;
          logger.error({ err, tank_id: tankId }, 'failover of a tank failed');
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, locations.length) }, worker));
    if (stranded > 0)
      logger.error(
        { server_id: serverId, stranded },
        'some tanks found no healthy server; retrying next pass',
      );
  }

  async function pass(): Promise<void> {
    if (unadopted.size > 0) await retryUnadopted();
    const owners = Object.keys(await countTanksByServer(db));
    const now = clock();
    const down = new Set(owners.filter((id) => !directory.isAvailable(id)));
    for (const id of [...downSince.keys()]) if (!down.has(id)) downSince.delete(id);
    for (const id of down) {
      if (!downSince.has(id)) downSince.set(id, now);
      if (now - downSince.get(id)! >= graceMs && !stopped) await evacuate(id);
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
