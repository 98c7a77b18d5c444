/**
 * @module
 * What a transfer reservation holds on this server, and how a world restored from a snapshot is
 * brought in line with the open reservations on its tank (see `transfers.ts`).
 */
import {
  claimUid,
  type EntityPayload,
  extractEntity,
  fishIdOf,
  insertEntity,
  type World,
} from '../sim/index.ts';
import { type Db, listReservations, type TransferReservation } from '../store/index.ts';

/** Key of the fish's local id in a source reservation's payload (not part of the fish). */
const LOCAL_ID = 'local_id';

/** A source reservation's payload: the fish and the local id it had in its tank. */
export function heldPayload(fish: EntityPayload, localId: number): Record<string, unknown> {
  return { ...fish, [LOCAL_ID]: localId };
}

/** The fish a source reservation holds, as the destination gets it. */
export function fishOf(r: TransferReservation): EntityPayload {
  const { [LOCAL_ID]: _, ...fish } = r.payload as EntityPayload & { [LOCAL_ID]?: number };
  return fish as EntityPayload;
}

/** The local id the held fish had in its tank (absent in reservations made before it was kept). */
export function localIdOf(r: TransferReservation): number | undefined {
  const id = (r.payload as { [LOCAL_ID]?: unknown })[LOCAL_ID];
  return typeof id === 'number' ? id : undefined;
}

/**
 * Brings a world just restored from a snapshot in line with its tank's reservations and replays
 * its transfer journal, in the order of the tank's changes, and answers the journal position
 * reached. Each entry is applied by presence, so one the snapshot already shows changes nothing:
 * a fish held out or gone for good (`departed`) is taken out if the snapshot still shows it;
 * one that arrived or was put back by an abort goes in if it does not; every held fish and
 * promised arrival holds its slot; no uid in the journal is handed out to a newborn again.
 *
 * @example
 * ```ts
 * const tanks = createTankService({ …, reconcileWorld: (id, world) => reconcileWorld(db, id, world) });
 * ```
 */
export async function reconcileWorld(db: Db, tankId: string, world: World): Promise<number> {
  let position = 0;
  for (const r of await listReservations(db, { tankId, settled: true })) {
    position = Math.max(position, r.seq);
    // A fish born here after the snapshot may live on elsewhere: its uid is never handed out again.
    claimUid(world, r.entityUid);
    const present = fishIdOf(world, r.entityUid) !== undefined;
    if (r.role === 'source') {
      if (r.state === 'open') {
        if (present) {
          extractEntity(world, r.entityUid, { hold: true });
          world.counters.transfersOut--;
        } else world.heldSlots++;
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
