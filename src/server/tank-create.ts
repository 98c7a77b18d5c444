/**
 * @module
 * Writing a new tank durably: under its owner's lock when a quota applies (so creates racing on
 * every server still stop at it), its row, its location naming this server, the owner's admin
 * grant and its first snapshot, all in one transaction, so a crash right after commit restores
 * it and a failed create leaves nothing behind.
 */
import { tankQuotaExceeded } from '../limits/index.ts';
import type { World } from '../sim/index.ts';
import {
  countTanksOwnedBy,
  createLocation,
  type Db,
  grantPermission,
  createTank as insertTank,
  lockOwner,
  saveSnapshots,
  type TankRow,
} from '../store/index.ts';
import { createTank, encodeTankSnapshot, type Tank, type TankMeta } from '../tank/index.ts';

export interface NewTankRequest {
  /** Chosen by the gateway so a retried create finds the first one. */
  tankId?: string;
  name: string;
  description?: string;
  owner: string | null;
  isPublic?: boolean;
  allowTransfers?: boolean;
  seed?: number;
  initialFish?: number;
}

/** A tank's metadata as its row has it. */
export function metaOf(row: TankRow): TankMeta {
  return {
    name: row.name,
    description: row.description,
    owner: row.owner,
    is_public: row.isPublic,
    allow_transfers: row.allowTransfers,
    seed: row.seed ?? 0,
    created_at: row.createdAt.toISOString(),
  };
}

export interface NewTankRows {
  tankId: string;
  serverId: string;
  request: {
    name: string;
    description?: string;
    owner: string | null;
    isPublic?: boolean;
    allowTransfers?: boolean;
    seed: number;
  };
  /** The world it starts with (frame 0). */
  world: World;
  /** Tanks one owner may have; 0 for no quota. */
  tanksPerOwner: number;
  onViewerError: (err: unknown) => void;
}

/**
 * Saves a new tank and returns it, not yet running (the caller adds it to its host).
 *
 * @example
 * ```ts
 * const tank = await saveNewTank(db, { tankId, serverId, request: { name: 'Reef', seed: 7 }, world, tanksPerOwner: 100, onViewerError });
 * host.add(tank);
 * ```
 */
export function saveNewTank(
  db: Db,
  { tankId, serverId, request, world, tanksPerOwner, onViewerError }: NewTankRows,
): Promise<Tank> {
  return db.transaction(async (tx) => {
    if (request.owner && tanksPerOwner > 0) {
      await lockOwner(tx, request.owner);
      if ((await countTanksOwnedBy(tx, request.owner)) >= tanksPerOwner)
        throw tankQuotaExceeded(request.owner, tanksPerOwner);
    }
    const row = await insertTank(tx, {
      tankId,
      name: request.name,
      description: request.description ?? '',
      owner: request.owner,
      isPublic: request.isPublic ?? true,
      allowTransfers: request.allowTransfers ?? true,
      seed: request.seed,
    });
    const location = await createLocation(tx, { tankId, serverId });
    if (request.owner) await grantPermission(tx, { tankId, userId: request.owner, permission: 'admin' });
    const tank = createTank({ id: tankId, world, meta: metaOf(row), epoch: location.epoch, onViewerError });
    await saveSnapshots(tx, [
      { tankId, serverId, epoch: location.epoch, frame: world.frame, state: encodeTankSnapshot(tank) },
    ]);
    return tank;
  });
}
