/**
 * @module
 * What a transfer reservation holds on this server, and how a world restored from a snapshot is
 * brought in line with the transfers on its tank (see `participant.ts`): on a restart or failover
 * by replaying the tank's journal (`reconcileWorld`), on an admin's restore of an older
 * snapshot by carrying the running world's transfers over (`reconcileRestore`).
 */
import {
  claimUid,
  type EntityPayload,
  extractEntity,
  fishIdOf,
  insertEntity,
  serialize,
  type World,
} from '../../sim/index.ts';
import { type Db, listReservations, type TransferReservation, transferredUids } from '../../store/index.ts';

/** Key of the fish's local id in a source reservation's payload (not part of the fish). */
const LOCAL_ID = 'local_id';

/** A source reservation's payload: the fish and the local id it had in its tank. */
export function heldPayload(fish: EntityPayload, localId: number): Record<string, unknown> {
  return { ...fish, [LOCAL_ID]: localId };
}

/** The fish a source reservation holds, as the destination gets it. */
export function fishOf(r: Pick<TransferReservation, 'payload'>): EntityPayload {
  const { [LOCAL_ID]: _, ...fish } = r.payload as EntityPayload & { [LOCAL_ID]?: number };
  return fish as EntityPayload;
}

/** The local id the held fish had in its tank (absent in reservations made before it was kept). */
export function localIdOf(r: Pick<TransferReservation, 'payload'>): number | undefined {
  const id = (r.payload as { [LOCAL_ID]?: unknown })[LOCAL_ID];
  return typeof id === 'number' ? id : undefined;
}

/**
 * Brings a world just restored from a snapshot in line with its tank's reservations and replays
 * its transfer journal, in the order of the tank's changes, and answers the journal position
 * reached. `coveredUpTo` is the position the snapshot was taken at (its `journalSeq`): an entry
 * at or before it is in the snapshot already and moves no fish; each later one is applied by
 * presence — a fish held out or gone for good (`departed`) is taken out if the snapshot still
 * shows it; one that arrived or was put back by an abort goes in if it does not. Every held fish
 * and promised arrival holds its slot; no uid in the journal is handed out to a newborn again.
 *
 * Why the position matters: a `departed` entry keeps the position of its prepare (when the fish
 * left the world), and its transfer may commit after the fish has come back through another
 * transfer and a snapshot has shown it home again. By presence alone, a restart from that
 * snapshot took the fish out again and it was gone for good: the tube soak's lost fish, two
 * fish that went to another server and came straight back.
 *
 * @example
 * ```ts
 * const { world, journalSeq } = decodeTankSnapshot(snapshot.state);
 * const position = await reconcileWorld(db, tankId, world, journalSeq);
 * ```
 */
export async function reconcileWorld(db: Db, tankId: string, world: World, coveredUpTo = 0): Promise<number> {
  return replayJournal(world, await listReservations(db, { tankId, settled: true }), coveredUpTo);
}

/** A journal entry as `replayJournal` reads it (a reservation row, or an archive's entry). */
export type JournalStep = Pick<TransferReservation, 'role' | 'state' | 'entityUid' | 'payload' | 'seq'>;

/**
 * `reconcileWorld` on entries already read, in their order: a tank archive's journal
 * (src/archive) is replayed by the same rules at import.
 */
export function replayJournal(world: World, journal: readonly JournalStep[], coveredUpTo = 0): number {
  let position = 0;
  for (const r of journal) {
    position = Math.max(position, r.seq);
    // A fish born here after the snapshot may live on elsewhere: its uid is never handed out again.
    claimUid(world, r.entityUid);
    const present = fishIdOf(world, r.entityUid) !== undefined;
    if (r.seq <= coveredUpTo) {
      // In the snapshot already; held slots are not (a restored world holds none).
      if (r.state === 'open' && (r.role === 'source' || !present)) world.heldSlots++;
      continue;
    }
    if (r.role === 'source') {
      if (r.state === 'open') {
        // Counted as gone, as the running tank counted it when it held the fish (an abort
        // counts it back in): the tank's counters add up to its fish after a restart too.
        if (present) extractEntity(world, r.entityUid, { hold: true });
        else world.heldSlots++;
      } else if (r.state === 'departed') {
        if (present) extractEntity(world, r.entityUid);
      } else if (r.state === 'returned' && !present) {
        insertEntity(world, fishOf(r), { id: localIdOf(r), overfill: true });
      }
    } else if (r.state === 'open') {
      if (!present) world.heldSlots++;
    } else if (r.state === 'arrived' && !present) {
      insertEntity(world, r.payload, { overfill: true });
    }
  }
  return position;
}

/**
 * Brings a world restored from an older snapshot of a running tank (an admin's restore) in line
 * with where its fish are now, so that every fish still lives in exactly one place. The journal
 * cannot do it: it keeps only what the newest snapshot does not cover. The running world can: it
 * is the tank as every transfer step left it. So the tank's own history goes back in time (fish
 * born since are gone, fish that died since are back, with positions, energy, food and plants)
 * while every fish a transfer has named on this tank (`transferredUids`) is where the running
 * world has it: one that left, or is held out by a transfer in flight, is not brought back; one
 * that arrived, or was put back by an abort, is kept as it is now. A fish not born here since
 * the snapshot is kept too (it can only have come back). Held slots are the running world's (a
 * held fish, a promised arrival), and the uid and id counters never go back, so nothing the tank
 * has handed out is handed out again. Run it while no transfer step holds the tank
 * (`snapshotter.exclusive`); `live` is not changed.
 *
 * @example
 * ```ts
 * const { world } = decodeTankSnapshot(snapshot.state);
 * await snapshotter.exclusive([tank.id], async () => {
 *   await reconcileRestore(db, tank.id, world, tank.world);
 *   tank.replaceWorld(world);
 * });
 * ```
 */
export async function reconcileRestore(db: Db, tankId: string, world: World, live: World): Promise<void> {
  const then = new Set(world.fish.uid.slice(0, world.fish.count));
  const uidsNow = live.fish.uid.slice(0, live.fish.count);
  const moved = await transferredUids(db, { tankId, uids: [...new Set([...then, ...uidsNow])] });
  // Read after the query: the running world may have ticked (births, deaths) meanwhile.
  const now = new Map(serialize(live).fish.map(({ id, ...fish }) => [fish.uid, { id, fish }]));
  const own = `${world.uidPrefix}.`;
  const issued = world.nextUid;
  const bornSince = (uid: string) =>
    uid.startsWith(own) && Number.parseInt(uid.slice(own.length), 36) >= issued;
  world.nextUid = Math.max(world.nextUid, live.nextUid);
  world.nextId = Math.max(world.nextId, live.nextId);
  for (const uid of then) if (moved.has(uid) && !now.has(uid)) extractEntity(world, uid);
  for (const [uid, { id, fish }] of now) {
    if (then.has(uid) || (!moved.has(uid) && bornSince(uid))) continue;
    insertEntity(world, fish, { id, overfill: true });
  }
  world.heldSlots = live.heldSlots;
}
