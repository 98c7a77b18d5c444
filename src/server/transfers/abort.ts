/**
 * @module
 * The abort of a transfer on this server (see `participant.ts`): a fish this side holds goes back
 * into its tank under its old local id, recorded as the tank's journal entry `returned` (fenced
 * on the tank's location), and room held for an arrival is given back. A repeat changes nothing.
 */
import { fishIdOf } from '../../sim/index.ts';
import {
  deleteReservation,
  getReservation,
  settleReservation,
  type TransferReservation,
} from '../../store/index.ts';
import { fishOf, localIdOf } from './held.ts';
import type { StepContext } from './step-context.ts';

export interface AbortOptions extends StepContext {
  /** Drops what the destination side remembers of an arrival. */
  forget(transferId: string): void;
}

/**
 * @example
 * ```ts
 * const abort = createAbort({ ...steps, forget: destSide.forget });
 * await abort({ transferId });
 * ```
 */
export function createAbort({
  serverId,
  db,
  host,
  snapshotter,
  log,
  serial,
  tankHere,
  fenced,
  forget,
}: AbortOptions) {
  /** Puts a held fish back (a journal entry `returned`, fenced); a repeat changes nothing. */
  async function putBack(source: TransferReservation): Promise<void> {
    const tank = tankHere(source.tankId);
    await snapshotter.exclusive([tank.id], async () => {
      const world = tank.world;
      const inserted = fishIdOf(world, source.entityUid) === undefined;
      // Back under its old local id, so a client's next request with that id finds it.
      if (inserted) tank.putBackFish(fishOf(source), localIdOf(source));
      tank.touch();
      let returned: TransferReservation | undefined;
      try {
        tank.journalSeq++;
        returned = await settleReservation(db, {
          transferId: source.transferId,
          role: 'source',
          state: 'returned',
          seq: tank.journalSeq,
          serverId,
          epoch: tank.epoch,
        });
      } catch (err) {
        // Still held durably: hold it in memory too, until the abort is retried.
        if (inserted) tank.holdFish(source.entityUid);
        throw err;
      }
      if (returned) return;
      if (inserted) tank.holdFish(source.entityUid);
      const now = await getReservation(db, { transferId: source.transferId, role: 'source' });
      // Still open: the tank has moved away (fenced). Otherwise settled meanwhile: nothing to do.
      if (now?.state === 'open') throw fenced(tank);
    });
    log.info({ transfer_id: source.transferId, tank_id: tank.id, uid: source.entityUid }, 'fish put back');
  }

  async function abort(req: { transferId: string }) {
    return serial(req.transferId, async () => {
      const source = await getReservation(db, { transferId: req.transferId, role: 'source' });
      const dest = await getReservation(db, { transferId: req.transferId, role: 'dest' });
      const restore = source?.state === 'open';
      if (restore) await putBack(source);
      forget(req.transferId);
      const release = dest?.state === 'open';
      if (release) {
        await deleteReservation(db, { transferId: req.transferId, role: 'dest' });
        const tank = host.get(dest.tankId);
        if (tank && fishIdOf(tank.world, dest.entityUid) === undefined) tank.releaseSlot();
      }
      return { transfer_id: req.transferId, restored: restore, released: release };
    });
  }

  return abort;
}
