/**
 * @module
 * The destination's half of a transfer (see `participant.ts`): prepare holds room in the tank and
 * keeps the arriving fish in a reservation; commit puts the fish in under its uid and settles
 * the reservation as the tank's journal entry `arrived` (fenced on the tank's location). Both
 * can be repeated.
 */
import { ApiError } from '../../http/index.ts';
import { parseArrivingFish } from '../../migrating/index.ts';
import { type EntityPayload, fishIdOf } from '../../sim/index.ts';
import {
  getReservation,
  putReservation,
  settleReservation,
  type TransferReservation,
} from '../../store/index.ts';
import type { StepContext } from './step-context.ts';

export interface CommittedDest {
  transfer_id: string;
  tank_id: string;
  entity_uid: string;
  /** The fish's local id in the destination; null when it has moved on since. */
  new_id: number | null;
}

/**
 * @example
 * ```ts
 * const { prepareDest, commitDest, forget } = createDestSide(steps);
 * ```
 */
export function createDestSide({
  serverId,
  db,
  host,
  snapshotter,
  log,
  crash,
  serial,
  tankHere,
  fenced,
}: StepContext) {
  /** Arrivals this process prepared and has not committed or aborted yet (saves a read at commit). */
  const arriving = new Map<string, TransferReservation>();

  async function prepareDest(req: { transferId: string; tankId: string; payload: unknown }) {
    return serial(req.transferId, async () => {
      crash('dest_before_prepare');
      // A migrating fish (v1, checked field by field) or an older server's sim payload.
      const payload = parseArrivingFish(req.payload);
      const tank = tankHere(req.tankId);
      if (!tank.meta.allow_transfers)
        throw new ApiError('forbidden', `tank ${tank.id} does not allow transfers`);
      const answer = { transfer_id: req.transferId, tank_id: tank.id, entity_uid: payload.uid };
      try {
        if (fishIdOf(tank.world, payload.uid) !== undefined)
          throw new ApiError('duplicate_entity', `fish ${payload.uid} is already in tank ${tank.id}`);
        tank.holdSlot();
      } catch (err) {
        // A retry whose first attempt held the room (and may have filled the tank) is no error.
        const held = await getReservation(db, { transferId: req.transferId, role: 'dest' });
        if (held) return { ...answer, tank_id: held.tankId, entity_uid: held.entityUid };
        throw err;
      }
      let put: Awaited<ReturnType<typeof putReservation>>;
      try {
        tank.journalSeq++;
        put = await putReservation(db, {
          transferId: req.transferId,
          tankId: tank.id,
          serverId,
          role: 'dest',
          entityUid: payload.uid,
          payload,
          seq: tank.journalSeq,
        });
      } catch (err) {
        tank.releaseSlot();
        throw err;
      }
      if (!put.created) {
        tank.releaseSlot();
        return { ...answer, tank_id: put.reservation.tankId, entity_uid: put.reservation.entityUid };
      }
      arriving.set(req.transferId, put.reservation);
      crash('dest_after_prepare');
      return answer;
    });
  }

  async function commitDest(req: {
    transferId: string;
    tankId: string;
    entityUid: string;
  }): Promise<CommittedDest> {
    return serial(req.transferId, async () => {
      const done = (newId: number | null | undefined): CommittedDest => ({
        transfer_id: req.transferId,
        tank_id: req.tankId,
        entity_uid: req.entityUid,
        new_id: newId ?? null,
      });
      // Known from this process's prepare, or (after a restart) from the database.
      const known =
        arriving.get(req.transferId) ??
        (await getReservation(db, { transferId: req.transferId, role: 'dest' }));
      const held = known?.state === 'open' ? known : undefined;
      // Committed before (or never prepared, which the coordinator rules out): a no-op.
      if (!held) return done(host.get(req.tankId) && fishIdOf(host.get(req.tankId)!.world, req.entityUid));
      const tank = tankHere(held.tankId);
      const result = await snapshotter.exclusive([tank.id], async () => {
        const world = tank.world;
        // Present already: an earlier attempt inserted it and then failed to record it.
        const present = fishIdOf(world, held.entityUid);
        const id = present ?? tank.admitFish(held.payload as EntityPayload);
        tank.touch();
        tank.journalSeq++;
        // On failure the fish stays in (the decision is commit); the retry finds it present.
        const arrived = await settleReservation(db, {
          transferId: req.transferId,
          role: 'dest',
          state: 'arrived',
          seq: tank.journalSeq,
          serverId,
          epoch: tank.epoch,
        });
        if (arrived) {
          arriving.delete(req.transferId);
          return id;
        }
        const now = await getReservation(db, { transferId: req.transferId, role: 'dest' });
        // Still open: the tank has moved away (fenced); the fish is not this copy's to keep.
        if (now?.state === 'open') {
          if (present === undefined) tank.holdFish(held.entityUid);
          throw fenced(tank);
        }
        // Settled elsewhere meanwhile (nothing was written here): not inserted a second time.
        if (present === undefined) tank.removeFish(held.entityUid);
        arriving.delete(req.transferId);
        return fishIdOf(world, req.entityUid);
      });
      crash('dest_after_commit');
      log.debug({ transfer_id: req.transferId, tank_id: tank.id, uid: held.entityUid }, 'fish arrived');
      return { ...done(result), tank_id: tank.id, entity_uid: held.entityUid };
    });
  }

  return {
    prepareDest,
    commitDest,
    /** Drops what this process remembers of an arrival (its transfer aborted). */
    forget: (transferId: string) => arriving.delete(transferId),
  };
}
