/**
 * @module
 * Failover's moves of one tank (see `failover.ts`): a compare-and-set of its location onto a
 * healthy server, then that server is asked to adopt it; a tank no server adopted yet is
 * remembered and asked for again on later passes.
 */
import { ApiError } from '../http/index.ts';
import { moveTank, StoreError } from '../store/index.ts';
import type { Placing } from './placing.ts';
import { tubePeersOf } from './tube-peers.ts';

export interface TankMoverOptions extends Placing {
  /** Called with each tank moved (metrics). */
  onMoved: (tankId: string, from: string, to: string) => void;
  /** True once failover stops: no new adoption is started then. */
  stopped: () => boolean;
}

export interface TankMover {
  /**
   * Moves one tank off `at` (where its location names it at `epoch`), trying each healthy
   * server once; true when adopted somewhere or no longer ours to move. `from` is the server
   * that went down, for the event.
   */
  rescue(tankId: string, from: string, at: string, epoch: number): Promise<boolean>;
  /** Asks again for each moved tank no server adopted: where it is now, else on another server. */
  retryUnadopted(): Promise<void>;
  /** How many moved tanks no server has adopted yet. */
  readonly unadopted: number;
}

/**
 * @example
 * ```ts
 * const mover = createTankMover({ ...placing, onMoved, stopped: () => stopped });
 * if (!(await mover.rescue(tankId, serverId, serverId, epoch))) stranded++;
 * ```
 */
export function createTankMover({
  db,
  directory,
  realtime,
  placement,
  loads,
  serverClient,
  cache,
  logger,
  onMoved,
  stopped,
}: TankMoverOptions): TankMover {
  /** Tanks whose location names a server that has not adopted them yet, by tank id. */
  const unadopted = new Map<string, { from: string; at: string; epoch: number }>();

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

  async function rescue(tankId: string, from: string, at: string, epoch: number): Promise<boolean> {
    let expectedEpoch = epoch;
    const tried = new Set<string>([from, at]);
    // Read once: the tubes' other ends do not move while this tank is rescued.
    const peers = await tubePeersOf({ db, logger }, tankId);
    for (;;) {
      const candidates = directory.healthy().filter((s) => !tried.has(s.serverId));
      if (candidates.length === 0) return false;
      const choice = await loads.choose(placement, candidates, { tankId, peers });
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

  async function retryUnadopted(): Promise<void> {
    for (const [tankId, { from, at, epoch }] of [...unadopted]) {
      if (stopped()) return;
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

  return {
    rescue,
    retryUnadopted,
    get unadopted() {
      return unadopted.size;
    },
  };
}
