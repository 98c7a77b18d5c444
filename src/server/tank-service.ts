/**
 * @module
 * The tanks of one server: creating, deleting, restoring and evicting them, with the host (the
 * running worlds) and the store (their rows) kept in step. The rule it keeps: a tank runs on
 * this server iff its `tank_locations` row names this server — rows are written in one
 * transaction before the world starts, and a world is stopped as soon as a write shows the
 * location has moved on (fencing).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { ApiError } from '../http/index.ts';
import { createWorld, type World } from '../sim/index.ts';
import {
  type Db,
  deleteTank as deleteTankRow,
  getLocation,
  getTank as getTankRow,
  getTankWithLocation,
  latestSnapshot,
  latestSnapshotsForServer,
  listPermissions,
  listTanksOnServer,
  type TankRow,
  type TankSnapshot,
} from '../store/index.ts';
import { createTank, decodeTankSnapshot, type Tank, type TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { metaOf, type NewTankRequest, saveNewTank } from './tank-create.ts';

export interface TankServiceOptions {
  serverId: string;
  host: TankHost;
  db: Db;
  logger: Logger;
  maxTanks?: number;
  /** Tanks one owner may have in the network (checked under the owner's lock); 0 = no quota. */
  tanksPerOwner?: number;
  maxFishPerTank?: number;
  /**
   * Brings a world restored from a snapshot in line with the transfers in flight (fish held out
   * of it, slots held for arrivals) and replays the tank's journal of settled ones before it
   * runs; entries at or before `coveredUpTo` (the snapshot's own position) are in it already.
   * Answers the journal position reached. See `src/server/transfers/held.ts`.
   */
  reconcileWorld?: (tankId: string, world: World, coveredUpTo: number) => Promise<number>;
  /**
   * Carries the transfers of a running tank (`live`) over to a world restored from one of its
   * older snapshots (an admin's restore): fish that left stay gone, arrivals stay, held slots
   * stay held. See `src/server/transfers/held.ts`.
   */
  reconcileRestore?: (tankId: string, world: World, live: World) => Promise<void>;
  /**
   * Called when a tank leaves this server (deleted, evicted by fencing) so viewers are closed;
   * a deletion comes with who could read the tank, for the `tank_deleted` event.
   */
  onTankGone?: (tankId: string, reason: 'deleted' | 'moved', audience?: TankAudience) => void;
  /** Seconds a tank took to start from its snapshot (or its seed when it had none): metrics. */
  onRestored?: (seconds: number, from: 'snapshot' | 'seed') => void;
}

/** Who could read a tank: everyone (public), else its owner and the users granted a level. */
export interface TankAudience {
  isPublic: boolean;
  readers: string[];
}

export type TankService = ReturnType<typeof createTankService>;

/**
 * The answer about a tank this server does not run, and about one the caller may not read: the
 * two must not differ, or the difference tells that a private tank exists.
 *
 * @example
 * ```ts
 * if (!level) throw tankNotFound(tankId, serverId);
 * ```
 */
export function tankNotFound(tankId: string, serverId: string): ApiError {
  return new ApiError('tank_not_found', `no tank ${tankId} on server ${serverId}`);
}

/**
 * @example
 * ```ts
 * const tanks = createTankService({ serverId, host, db: store.db, logger });
 * await tanks.loadOwned();
 * const tank = await tanks.create({ name: 'Reef', owner: 'alice' });
 * ```
 */
export function createTankService({
  serverId,
  host,
  db,
  logger,
  maxTanks = 2000,
  tanksPerOwner = 0,
  maxFishPerTank = 100,
  reconcileWorld = async () => 0,
  reconcileRestore = async () => {},
  onTankGone = () => {},
  onRestored,
}: TankServiceOptions) {
  const onViewerError = (err: unknown) =>
    logger.warn({ err }, 'a viewer failed to take a frame and was dropped');
  /** Tanks being created or restored, so a concurrent duplicate request waits instead of racing. */
  const pending = new Map<string, Promise<Tank>>();

  function get(tankId: string): Tank {
    const tank = host.get(tankId);
    if (!tank) throw tankNotFound(tankId, serverId);
    return tank;
  }

  async function create(req: NewTankRequest): Promise<Tank> {
    const tankId = req.tankId ?? randomUUID();
    const running = host.get(tankId) ?? (await pending.get(tankId));
    if (running) return running;
    if (host.size >= maxTanks)
      throw new ApiError('unavailable', `server ${serverId} holds its maximum of ${maxTanks} tanks`);
    const job = createNew(tankId, req);
    pending.set(tankId, job);
    try {
      return await job;
    } finally {
      pending.delete(tankId);
    }
  }

  async function createNew(tankId: string, req: NewTankRequest): Promise<Tank> {
    const existing = await getTankRow(db, tankId);
    if (existing) {
      // A retried create whose first attempt committed: adopt it if it is ours, else refuse.
      const location = await getLocation(db, tankId);
      if (location?.serverId === serverId) return restoreOwned(existing, location.epoch);
      throw new ApiError(
        'tank_exists',
        `tank ${tankId} already exists on ${location?.serverId ?? 'no server'}`,
      );
    }
    const seed = req.seed ?? randomInt(0, 2 ** 31);
    const world = createWorld({
      seed,
      uidPrefix: tankId,
      maxFish: maxFishPerTank,
      initialFish: req.initialFish ?? 10,
    });
    const tank = await saveNewTank(db, {
      tankId,
      serverId,
      request: { ...req, seed },
      world,
      tanksPerOwner,
      onViewerError,
    });
    tank.markSaved(world.frame);
    host.add(tank);
    logger.info({ tank_id: tankId, name: req.name, owner: req.owner, seed }, 'tank created');
    return tank;
  }

  /** Starts a tank this server owns from `snapshot` (or afresh from its seed when it has none). */
  async function start(row: TankRow, epoch: number, snapshot: TankSnapshot | undefined): Promise<Tank> {
    const began = performance.now();
    const world = () => createWorld({ seed: row.seed ?? 0, uidPrefix: row.tankId, maxFish: maxFishPerTank });
    const restored = snapshot
      ? decodeTankSnapshot(snapshot.state)
      : { world: world(), paused: false, journalSeq: 0 };
    // Never behind the snapshot's position: what is written next must sort after what it covers.
    const replayed = await reconcileWorld(row.tankId, restored.world, restored.journalSeq);
    const journalSeq = Math.max(restored.journalSeq, replayed);
    if (host.get(row.tankId)) return host.get(row.tankId) as Tank;
    const tank = createTank({
      id: row.tankId,
      world: restored.world,
      meta: metaOf(row),
      epoch,
      journalSeq,
      paused: restored.paused,
      onViewerError,
    });
    tank.markSaved(restored.world.frame);
    // Journal entries replayed: the next snapshot covers them, and they can go.
    if (journalSeq > 0) tank.touch();
    host.add(tank);
    onRestored?.((performance.now() - began) / 1000, snapshot ? 'snapshot' : 'seed');
    return tank;
  }

  async function restoreOwned(row: TankRow, epoch: number): Promise<Tank> {
    const running = host.get(row.tankId);
    // At this epoch already: a repeated adopt or create.
    if (running?.epoch === epoch) return running;
    // A copy from an earlier ownership (an adopt the gateway gave up on, then moved the tank on):
    // transfers may have changed the tank elsewhere since, so what is durable (snapshot and
    // journal) is the tank, not this copy; kept, it would lose the fish that arrived meanwhile
    // and show again the ones that left.
    if (running) evict(row.tankId);
    return start(row, epoch, await latestSnapshot(db, row.tankId));
  }

  /**
   * Puts a running tank back to one of its snapshots (an admin's restore): its own history goes
   * back, its transfers do not (`reconcileRestore`). Run it while no transfer step or snapshot
   * batch holds the tank (`snapshotter.exclusive`), so the running world does not change under
   * it; the tank is changed only once the restored world is complete.
   */
  async function rewind(tank: Tank, snapshot: TankSnapshot): Promise<Tank> {
    const { world, paused } = decodeTankSnapshot(snapshot.state);
    await reconcileRestore(tank.id, world, tank.world);
    tank.replaceWorld(world, { paused });
    return tank;
  }

  /** At start-up: every tank whose location names this server, from its newest snapshot. */
  async function loadOwned(): Promise<number> {
    // Rows and locations in one query, not one per tank: a server may own ten thousand.
    const owned = await listTanksOnServer(db, serverId);
    const snapshots = new Map((await latestSnapshotsForServer(db, serverId)).map((s) => [s.tankId, s]));
    for (const { tank: row, location } of owned) {
      if (host.get(row.tankId)) continue;
      try {
        await start(row, location.epoch, snapshots.get(location.tankId));
      } catch (err) {
        logger.error(
          { err, tank_id: location.tankId },
          'tank could not be restored from its snapshot; left stopped',
        );
      }
    }
    if (owned.length > 0) logger.info({ tanks: host.size }, 'tanks restored from their latest snapshots');
    return host.size;
  }

  /** Adoptions under way: after a live move the adopt call, the event and every viewer ask at once. */
  const adopting = new Map<string, Promise<Tank>>();

  /**
   * Takes over a tank moved here (failover, live move): the location already names this server
   * at `epoch`; the world comes from the newest snapshot.
   */
  async function adopt(tankId: string, epoch: number): Promise<Tank> {
    const inFlight = adopting.get(tankId);
    if (inFlight) return inFlight;
    const job = adoptOnce(tankId, epoch);
    adopting.set(tankId, job);
    try {
      return await job;
    } finally {
      adopting.delete(tankId);
    }
  }

  async function adoptOnce(tankId: string, epoch: number): Promise<Tank> {
    // The row and its location in one statement: a failover adopts thousands of tanks, and on a
    // loaded machine each round trip to the database costs more than the query itself.
    const found = await getTankWithLocation(db, tankId);
    const location = found?.location;
    if (!location || location.serverId !== serverId || location.epoch !== epoch) {
      throw new ApiError('stale_epoch', `tank ${tankId} is not assigned to ${serverId} at epoch ${epoch}`);
    }
    const tank = await restoreOwned(found.tank, epoch);
    logger.info({ tank_id: tankId, epoch, frame: tank.world.frame }, 'tank adopted');
    return tank;
  }

  /**
   * The tank if it runs here. One whose location names this server without running here yet (a
   * failover moved it and the gateway's adopt call is still on its way) is adopted now: the
   * gateway already sends its requests here, and they are served, not answered 404.
   */
  async function find(tankId: string): Promise<Tank> {
    const running = host.get(tankId) ?? (await adopting.get(tankId));
    if (running) return running;
    const location = await getLocation(db, tankId);
    if (location?.serverId === serverId) return adopt(tankId, location.epoch);
    return get(tankId);
  }

  async function remove(tankId: string): Promise<void> {
    const tank = get(tankId);
    // Read before the rows go: the grants are deleted with the tank.
    const grants = await listPermissions(db, tankId);
    const readers = new Set(grants.map((g) => g.userId));
    if (tank.meta.owner) readers.add(tank.meta.owner);
    await deleteTankRow(db, tankId);
    host.remove(tankId);
    onTankGone(tankId, 'deleted', { isPublic: tank.meta.is_public, readers: [...readers].sort() });
    logger.info({ tank_id: tankId }, 'tank deleted');
  }

  /** Stops a tank that another server now owns; its viewers are told it moved. */
  function evict(tankId: string): void {
    if (!host.remove(tankId)) return;
    onTankGone(tankId, 'moved');
    logger.warn({ tank_id: tankId }, 'tank stopped here: its location moved to another server (fenced)');
  }

  return { get, find, create, loadOwned, adopt, rewind, remove, evict, serverId };
}
