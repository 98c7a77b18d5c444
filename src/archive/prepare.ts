/**
 * @module
 * The snapshot an imported tank starts from. The archive's snapshot is decoded (a bad one is
 * refused as `archive_corrupt` before anything is written), its journal replayed onto it by the
 * rules a restarting server follows (`replayJournal`), so the imported tank needs no journal
 * rows of its own, and, for an import under a new id, every fish gets a fresh uid.
 *
 * Why fresh uids: a fish's uid names it across the network (`tankworld audit` finds each in one
 * place). Onto its own id (free: the tank was deleted or the database wiped) the fish come back
 * with their uids, as they were. Under a new id the original tank, or an earlier import of the
 * same archive, may still hold those fish, so each gets `<new tank id>.<n>`, numbered from 1 in
 * the order the snapshot lists them: importing one archive twice gives two tanks whose fish
 * share no uid. Genomes, positions, energy, food, plants, the frame and the RNG are kept.
 */
import { ApiError } from '../http/index.ts';
import { replayJournal } from '../server/transfers/index.ts';
import { serialize, type WorldSnapshot } from '../sim/index.ts';
import { decodeTankSnapshot, TANK_SNAPSHOT_VERSION, type TankSnapshotState } from '../tank/index.ts';
import type { ArchiveBody } from './format.ts';

export interface ImportSnapshot {
  frame: number;
  state: TankSnapshotState;
}

function decode(state: unknown): ReturnType<typeof decodeTankSnapshot> {
  try {
    return decodeTankSnapshot(state);
  } catch (err) {
    throw new ApiError('archive_corrupt', `the archive's snapshot cannot be read: ${(err as Error).message}`);
  }
}

/** Renames every fish `<prefix>.<n>` (base 36, from 1) and moves the uid counter past them. */
export function renumberFish(world: WorldSnapshot, prefix: string): WorldSnapshot {
  let next = 1;
  const fish = world.fish.map((f) => ({ ...f, uid: `${prefix}.${(next++).toString(36)}` }));
  return { ...world, uidPrefix: prefix, fish, nextUid: next };
}

/**
 * @example
 * ```ts
 * const { frame, state } = importSnapshot(body, { tankId: randomUUID(), freshUids: true });
 * ```
 */
export function importSnapshot(
  body: ArchiveBody,
  { tankId, freshUids }: { tankId: string; freshUids: boolean },
): ImportSnapshot {
  const { world, paused, journalSeq } = decode(body.snapshot.state);
  try {
    replayJournal(
      world,
      body.journal.map((e) => ({
        role: e.role,
        state: e.state,
        entityUid: e.entity_uid,
        payload: e.payload,
        seq: e.seq,
      })),
      journalSeq,
    );
  } catch (err) {
    throw new ApiError('archive_corrupt', `the archive's journal does not apply: ${(err as Error).message}`);
  }
  const plain = serialize(world);
  const state: TankSnapshotState = {
    version: TANK_SNAPSHOT_VERSION,
    paused,
    world: freshUids ? renumberFish(plain, tankId) : plain,
  };
  // Read back once: what is written is what a server will restore.
  decode(state);
  return { frame: world.frame, state };
}
