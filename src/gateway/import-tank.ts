/**
 * @module
 * Importing a tank archive (src/archive) placed like a create: the least-loaded healthy server
 * by the gateway's placement, the owner's quota checked under the owner's lock, and every row
 * (tank, location, grants, the snapshot it starts from) in one transaction, so a refused or
 * failed import leaves nothing. The chosen server then adopts it at epoch 1; if that call fails
 * the tank is still whole, and its server starts it on the first request or restart (`find`,
 * `loadOwned`), as after a failover.
 *
 * Which id: `onto: 'same'` takes the archive's id or refuses (`tank_exists`); `'new'` always
 * takes a fresh id with fresh fish uids; `'auto'` (the default) takes the archive's id when it
 * is free, else a fresh one. Who owns it: an operator's import keeps the archive's owner (a
 * restore); anyone else's import is theirs. The archive's grants come back either way, and the
 * owner holds admin.
 */
import { randomUUID } from 'node:crypto';
import { type ArchiveBody, importSnapshot } from '../archive/index.ts';
import { ApiError } from '../http/index.ts';
import { ConflictError, getLocation, getTank, insertImportedTank, type Permission } from '../store/index.ts';
import type { Placing } from './placing.ts';
import { type TankRecord, toRecord } from './views.ts';

export const IMPORT_TARGETS = ['auto', 'same', 'new'] as const;
export type ImportTarget = (typeof IMPORT_TARGETS)[number];

export interface ImportRequest {
  body: ArchiveBody;
  onto: ImportTarget;
  /** The caller; the owner unless `keepOwner`. */
  userId: string;
  /** An operator's restore: the archive's owner stays the owner. */
  keepOwner: boolean;
}

export interface ImportedRecord {
  record: TankRecord;
  /** Whether the tank came back under the archive's own id (its fish with their own uids). */
  sameId: boolean;
}

export interface TankImporter {
  import(request: ImportRequest): Promise<ImportedRecord>;
}

export interface TankImporterOptions extends Placing {
  /** Tanks one owner may have; 0 for no quota. */
  tanksPerOwner: number;
}

function grantsOf(
  body: ArchiveBody,
  owner: string | null,
): Array<{ userId: string; permission: Permission }> {
  const levels = new Map(body.permissions.map((g) => [g.user_id, g.permission as Permission]));
  if (owner) levels.set(owner, 'admin');
  return [...levels].map(([userId, permission]) => ({ userId, permission }));
}

/**
 * @example
 * ```ts
 * const importer = createTankImporter({ ...placing, tanksPerOwner: 100 });
 * const { record } = await importer.import({ body: decodeArchive(bytes), onto: 'auto', userId: 'alice', keepOwner: false });
 * ```
 */
export function createTankImporter(options: TankImporterOptions): TankImporter {
  const { db, directory, realtime, placement, loads, serverClient, cache, logger, tanksPerOwner } = options;

  async function targetId(body: ArchiveBody, onto: ImportTarget): Promise<string> {
    if (onto === 'new') return randomUUID();
    const taken = (await getTank(db, body.tank.tank_id)) !== undefined;
    if (!taken) return body.tank.tank_id;
    if (onto === 'auto') return randomUUID();
    throw new ApiError('tank_exists', `tank ${body.tank.tank_id} exists; import it as a new tank instead`);
  }

  async function write(request: ImportRequest, tankId: string, serverId: string): Promise<number> {
    const { body } = request;
    const owner = request.keepOwner ? body.tank.owner : request.userId;
    const snapshot = importSnapshot(body, { tankId, freshUids: tankId !== body.tank.tank_id });
    try {
      return await insertImportedTank(db, {
        tank: {
          tankId,
          name: body.tank.name,
          description: body.tank.description,
          owner,
          isPublic: body.tank.is_public,
          allowTransfers: body.tank.allow_transfers,
          seed: body.tank.seed,
          createdAt: new Date(body.tank.created_at),
        },
        serverId,
        grants: grantsOf(body, owner),
        snapshot,
        tanksPerOwner,
      });
    } catch (err) {
      if (err instanceof ConflictError) throw new ApiError('tank_exists', `tank ${tankId} exists`);
      throw err;
    }
  }

  /** Starts it on its server now; a failure only delays the start to the first request. */
  async function adopt(tankId: string, serverId: string, epoch: number): Promise<void> {
    try {
      await serverClient.adoptTank(serverId, tankId, epoch);
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, tank_id: tankId, server_id: serverId },
        'imported tank not adopted yet; its server starts it on first use',
      );
    }
  }

  return {
    async import(request) {
      const tankId = await targetId(request.body, request.onto);
      const choice = await loads.choose(placement, directory.healthy(), { tankId });
      if (!choice) throw new ApiError('no_healthy_server', 'no healthy tank server could take the tank');
      let epoch: number;
      try {
        epoch = await write(request, tankId, choice.serverId);
        loads.placed(choice.serverId);
      } finally {
        choice.release();
      }
      await adopt(tankId, choice.serverId, epoch);
      const [row, location] = [await getTank(db, tankId), await getLocation(db, tankId)];
      if (!row) throw new ApiError('tank_not_found', `tank ${tankId} was deleted as it was imported`);
      const record = toRecord(row, location);
      cache.put(record);
      await realtime
        .publish({
          type: 'tank_created',
          tank_id: tankId,
          server_id: choice.serverId,
          at: new Date().toISOString(),
        })
        .catch((err) => logger.warn({ err: (err as Error).message, tank_id: tankId }, 'could not publish'));
      logger.info(
        { tank_id: tankId, from: request.body.tank.tank_id, server_id: choice.serverId },
        'tank imported',
      );
      return { record, sameId: tankId === request.body.tank.tank_id };
    },
  };
}
