/**
 * @module
 * A tank's archive body from what the store holds of it (`readTankArchiveParts`).
 */
import { ApiError } from '../http/index.ts';
import type { TankArchiveParts } from '../store/index.ts';
import type { ArchiveBody, JournalEntry } from './format.ts';

/**
 * @example
 * ```ts
 * const parts = await readTankArchiveParts(db, tankId);
 * const bytes = encodeArchive(archiveBodyOf(parts!, new Date()));
 * ```
 */
export function archiveBodyOf({ tank, snapshot, journal, grants }: TankArchiveParts, at: Date): ArchiveBody {
  // Every tank gets its first snapshot in its create transaction; one without is not restorable.
  if (!snapshot) throw new ApiError('snapshot_not_found', `tank ${tank.tankId} has no snapshot to archive`);
  return {
    exported_at: at.toISOString(),
    tank: {
      tank_id: tank.tankId,
      name: tank.name,
      description: tank.description,
      owner: tank.owner,
      is_public: tank.isPublic,
      allow_transfers: tank.allowTransfers,
      seed: tank.seed,
      created_at: tank.createdAt.toISOString(),
    },
    snapshot: { frame: snapshot.frame, created_at: snapshot.createdAt.toISOString(), state: snapshot.state },
    journal: journal.map(
      (r): JournalEntry => ({
        transfer_id: r.transferId,
        role: r.role,
        state: r.state as JournalEntry['state'],
        entity_uid: r.entityUid,
        payload: r.payload as Record<string, unknown>,
        seq: r.seq,
      }),
    ),
    permissions: grants.map((g) => ({
      user_id: g.userId,
      permission: g.permission,
      granted_at: g.grantedAt.toISOString(),
    })),
    connections: [],
  };
}
