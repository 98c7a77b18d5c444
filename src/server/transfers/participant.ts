/**
 * @module
 * This server's part in two-phase-commit fish transfers (the gateway coordinates). The source
 * holds the fish out of its world (its slot stays held) and the destination holds room; both
 * halves are rows in `transfer_reservations`, written before the step answers. A step that
 * changes which tank a fish is in (hold, put back, arrive) takes the tank's next journal
 * position and records it with the row, fenced on the tank's location, in one small statement;
 * settled rows stay as the tank's journal until the snapshotter saves a snapshot that covers
 * them. Steps run while the snapshotter leaves the tank alone, so a snapshot never shows half a
 * step, and a restore from any snapshot replays what came after it: a restart can never bring
 * back a fish that left, nor lose one that arrived. No step writes a whole snapshot. Every step
 * can be repeated; a repeat is a no-op success. The destination's half is in
 * `dest.ts`, the abort in `abort.ts`, what a reservation holds and the
 * restore replay in `held.ts`, timeouts in `sweep.ts`.
 */

import type { CrashPoint } from '../../fault/index.ts';
import { ApiError } from '../../http/index.ts';
import { type EntityPayload, fishIdOf, fishUidOf } from '../../sim/index.ts';
import {
  type Db,
  getReservation,
  listReservations,
  reserveFenced,
  settleReservation,
  type TransferReservation,
} from '../../store/index.ts';
import type { Tank, TankHost } from '../../tank/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Snapshotter } from '../snapshotter.ts';
import { createAbort } from './abort.ts';
import { createDestSide } from './dest.ts';
import { fishOf, heldPayload } from './held.ts';
import type { StepContext } from './step-context.ts';
import { createReservationSweep, outcomeFromLog, type TransferOutcome } from './sweep.ts';

export type { CommittedDest } from './dest.ts';
export type { TransferOutcome } from './sweep.ts';

export interface ParticipantOptions {
  serverId: string;
  db: Db;
  host: TankHost;
  snapshotter: Snapshotter;
  logger: Logger;
  crash: CrashPoint;
  /**
   * Asks the coordinator how a transfer ended. The default reads the coordinator's own log
   * (`transfers`), the durable record of its decision; the participant never decides alone.
   */
  outcomeOf?: (transferId: string) => Promise<TransferOutcome>;
  /** Reservations older than this are resolved by asking the coordinator. */
  staleAfterMs?: number;
  sweepIntervalMs?: number;
  /** False while the server is fenced (`../lease.ts`): the sweep settles nothing then. */
  mayAct?: () => boolean;
}

export interface PreparedSource {
  transfer_id: string;
  tank_id: string;
  entity_uid: string;
  old_id: number | null;
  payload: EntityPayload;
}

export type Participant = ReturnType<typeof createParticipant>;

/**
 * @example
 * ```ts
 * const participant = createParticipant({ serverId, db, host, snapshotter, logger, crash });
 * await participant.prepareSource({ transferId, tankId, entityId: 42 });
 * ```
 */
export function createParticipant({
  serverId,
  db,
  host,
  snapshotter,
  logger,
  crash,
  outcomeOf = outcomeFromLog(db),
  staleAfterMs = 30_000,
  sweepIntervalMs = 10_000,
  mayAct = () => true,
}: ParticipantOptions) {
  const log = logger.child({ part: 'transfers' });
  /** One step at a time per transfer, so a retry racing its first attempt waits for it. */
  const running = new Map<string, Promise<unknown>>();

  function serial<T>(transferId: string, job: () => Promise<T>): Promise<T> {
    const before = running.get(transferId) ?? Promise.resolve();
    const result = before.then(job, job);
    const tail = result.catch(() => undefined);
    running.set(transferId, tail);
    void tail.then(() => {
      if (running.get(transferId) === tail) running.delete(transferId);
    });
    return result;
  }

  function tankHere(tankId: string): Tank {
    const tank = host.get(tankId);
    if (!tank) throw new ApiError('tank_not_found', `no tank ${tankId} on server ${serverId}`);
    return tank;
  }

  function fenced(tank: Tank): ApiError {
    return new ApiError('stale_epoch', `tank ${tank.id} has moved away from server ${serverId}`);
  }

  async function prepareSource(req: {
    transferId: string;
    tankId: string;
    entityId?: number;
    entityUid?: string;
  }): Promise<PreparedSource> {
    return serial(req.transferId, async () => {
      crash('source_before_prepare');
      const tank = tankHere(req.tankId);
      if (!tank.meta.allow_transfers)
        throw new ApiError('forbidden', `tank ${tank.id} does not allow transfers`);
      /** A repeated prepare answers as the first did, while its transfer is undecided. */
      const answerAsBefore = (held: TransferReservation) => {
        if (held.state !== 'open')
          throw new ApiError('conflict', `transfer ${req.transferId} has ended (${held.state}) on this side`);
        return { uid: held.entityUid, oldId: req.entityId ?? null, payload: fishOf(held) };
      };
      const prepared = await snapshotter.exclusive([tank.id], async () => {
        const world = tank.world;
        const uid =
          req.entityUid ?? (req.entityId === undefined ? undefined : fishUidOf(world, req.entityId));
        const oldId = uid === undefined ? undefined : fishIdOf(world, uid);
        if (uid === undefined || oldId === undefined) {
          // Not in the world: held already by this transfer (a retry), or unknown.
          const held = await getReservation(db, { transferId: req.transferId, role: 'source' });
          if (held) return answerAsBefore(held);
          throw new ApiError('unknown_entity', `no fish ${req.entityUid ?? req.entityId} in tank ${tank.id}`);
        }
        const payload = tank.holdFish(uid);
        let reserved: boolean;
        try {
          tank.journalSeq++;
          ({ reserved } = await reserveFenced(db, {
            reservation: {
              transferId: req.transferId,
              tankId: tank.id,
              serverId,
              role: 'source',
              entityUid: uid,
              payload: heldPayload(payload, oldId),
              seq: tank.journalSeq,
            },
            epoch: tank.epoch,
          }));
        } catch (err) {
          // Nothing durable says the fish left: it goes back into the slot it held.
          tank.admitFish(payload);
          throw err;
        }
        if (!reserved) {
          tank.admitFish(payload);
          // This side was reserved before (and that fish is held by it): answer as then.
          const held = await getReservation(db, { transferId: req.transferId, role: 'source' });
          if (!held) throw fenced(tank);
          return answerAsBefore(held);
        }
        return { uid, oldId, payload };
      });
      crash('source_after_prepare');
      log.debug(
        { transfer_id: req.transferId, tank_id: tank.id, uid: prepared.uid },
        'fish held for transfer',
      );
      return {
        transfer_id: req.transferId,
        tank_id: tank.id,
        entity_uid: prepared.uid,
        old_id: prepared.oldId,
        payload: prepared.payload as EntityPayload,
      };
    });
  }

  const steps: StepContext = { serverId, db, host, snapshotter, log, crash, serial, tankHere, fenced };
  const destSide = createDestSide(steps);
  const { prepareDest, commitDest } = destSide;

  async function commitSource(req: { transferId: string }) {
    return serial(req.transferId, async () => {
      crash('source_before_drop');
      // No change to the world (the fish is out since prepare): the entry keeps its position.
      const departed = await settleReservation(db, {
        transferId: req.transferId,
        role: 'source',
        state: 'departed',
      });
      if (!departed) return { transfer_id: req.transferId, dropped: false };
      const tank = host.get(departed.tankId);
      if (tank) {
        tank.releaseSlot();
      }
      log.debug(
        { transfer_id: req.transferId, tank_id: departed.tankId, uid: departed.entityUid },
        'fish left for good',
      );
      return { transfer_id: req.transferId, dropped: true };
    });
  }

  const abort = createAbort({ ...steps, forget: destSide.forget });

  /** Open reservations of this server (what it holds), oldest first. */
  function list(): Promise<TransferReservation[]> {
    return listReservations(db, { serverId });
  }

  /** Every fish uid in every tank here, for the coordinator's audit. */
  function census(): Array<{ tank_id: string; uids: string[] }> {
    return host.list().map((t) => ({ tank_id: t.id, uids: t.world.fish.uid.slice(0, t.world.fish.count) }));
  }

  const sweep = createReservationSweep({
    logger: log,
    list,
    // A fenced server runs nothing: its tanks may be running elsewhere already.
    runs: (tankId) => mayAct() && host.get(tankId) !== undefined,
    outcomeOf,
    settle: (r, outcome) =>
      outcome === 'aborted'
        ? abort({ transferId: r.transferId })
        : r.role === 'source'
          ? commitSource({ transferId: r.transferId })
          : commitDest({ transferId: r.transferId, tankId: r.tankId, entityUid: r.entityUid }),
    staleAfterMs,
    intervalMs: sweepIntervalMs,
  });

  return {
    prepareSource,
    prepareDest,
    commitDest,
    commitSource,
    abort,
    list,
    census,
    sweep: sweep.sweep,
    start: sweep.start,
    stop: sweep.stop,
  };
}
