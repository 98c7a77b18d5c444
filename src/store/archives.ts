/**
 * @module
 * What a tank archive (src/archive) reads of a tank and writes back: the reading in one
 * transaction, so a delete committing meanwhile is seen whole or not at all; the writing in one transaction (quota under the owner's lock, row, location, grants,
 * snapshot), so a refused or failed import leaves nothing behind.
 */
import { tankQuotaExceeded } from '../limits/index.ts';
import type { Db } from './db.ts';
import { ConflictError } from './errors.ts';
import { createLocation } from './locations.ts';
import { grantPermission, listPermissions } from './permissions.ts';
import { listReservations } from './reservations.ts';
import type {
  NewTank,
  Permission,
  TankPermission,
  TankRow,
  TankSnapshot,
  TransferReservation,
} from './schema.ts';
import { latestSnapshot, saveSnapshots } from './snapshots.ts';
import { countTanksOwnedBy, createTank, getTank, lockOwner } from './tanks.ts';

/** A tank as an archive takes it. */
export interface TankArchiveParts {
  tank: TankRow;
  snapshot: TankSnapshot | undefined;
  /** Settled sides of transfers not yet covered by a snapshot, in the tank's change order. */
  journal: TransferReservation[];
  grants: TankPermission[];
}

/**
 * The tank's parts as of one moment, or undefined when there is no such tank.
 *
 * @example
 * ```ts
 * const parts = await readTankArchiveParts(db, tankId);
 * ```
 */
export async function readTankArchiveParts(db: Db, tankId: string): Promise<TankArchiveParts | undefined> {
  return db.transaction(async (tx) => {
    const tank = await getTank(tx, tankId);
    if (!tank) return undefined;
    const [snapshot, reservations, grants] = [
      await latestSnapshot(tx, tankId),
      await listReservations(tx, { tankId, settled: true }),
      await listPermissions(tx, tankId),
    ];
    // An open side belongs to a transfer still deciding; it is not part of the tank's past.
    const journal = reservations.filter((r) => r.state !== 'open');
    return { tank, snapshot, journal, grants };
  });
}

export interface ImportedTank {
  tank: NewTank & { tankId: string };
  serverId: string;
  grants: Array<{ userId: string; permission: Permission }>;
  snapshot: { frame: number; state: unknown };
  /** Tanks one owner may have; 0 for no quota. */
  tanksPerOwner: number;
}

/**
 * Writes an imported tank, not yet running (its server adopts it at epoch 1). Throws
 * `ConflictError` when the id is taken and the quota's problem when the owner is at it.
 *
 * @example
 * ```ts
 * await insertImportedTank(db, { tank: { tankId, name, owner }, serverId, grants, snapshot, tanksPerOwner: 100 });
 * ```
 */
export function insertImportedTank(
  db: Db,
  { tank, serverId, grants, snapshot, tanksPerOwner }: ImportedTank,
): Promise<number> {
  return db.transaction(async (tx) => {
    if (tank.owner && tanksPerOwner > 0) {
      await lockOwner(tx, tank.owner);
      if ((await countTanksOwnedBy(tx, tank.owner)) >= tanksPerOwner)
        throw tankQuotaExceeded(tank.owner, tanksPerOwner);
    }
    if (await getTank(tx, tank.tankId)) throw new ConflictError(`tank ${tank.tankId} already exists`);
    await createTank(tx, tank);
    const location = await createLocation(tx, { tankId: tank.tankId, serverId });
    for (const grant of grants) await grantPermission(tx, { tankId: tank.tankId, ...grant });
    await saveSnapshots(tx, [
      { tankId: tank.tankId, serverId, epoch: location.epoch, frame: snapshot.frame, state: snapshot.state },
    ]);
    return location.epoch;
  });
}
