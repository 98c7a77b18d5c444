/**
 * @module
 * This server's part in two-phase-commit fish transfers (the gateway coordinates). The source
 * holds the fish out of its world (its slot stays held) and the destination holds room; both
 * halves are rows in `transfer_reservations`, written before the step answers. Every step that
 * changes which tank a fish is in writes that tank's snapshot in the same statement as its
 * reservation change (one round trip to PostgreSQL a step), and runs while the snapshotter
 * leaves the tank alone, so the newest snapshot always agrees with the reservations: a restart
 * can never bring back a fish that left, nor lose one that arrived. Every step can be
 * repeated; a repeat is a no-op success.
 */

import type { CrashPoint } from '../fault/index.ts';
import { ApiError } from '../http/index.ts';
import {
  type EntityPayload,
  extractEntity,
  fishIdOf,
  fishUidOf,
  holdFishSlot,
  insertEntity,
  releaseFishSlot,
  validateFishPayload,
  type World,
} from '../sim/index.ts';
import {
  type Db,
  deleteReservation,
  getReservation,
  getTransfer,
  listReservations,
  type NewSnapshot,
  putReservation,
  type ReservationRole,
  releaseWithSnapshot,
  reserveWithSnapshot,
  saveSnapshots,
  type TransferReservation,
} from '../store/index.ts';
import { encodeTankSnapshot, type Tank, type TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { Snapshotter } from './snapshotter.ts';

/** Key of the fish's local id in a source reservation's payload (dropped from the fish itself). */
const LOCAL_ID = 'local_id';

/** The fish a source reservation holds, as the destination gets it. */
function fishOf(r: TransferReservation): EntityPayload {
  const { [LOCAL_ID]: _, ...fish } = r.payload as EntityPayload & { [LOCAL_ID]?: number };
  return fish as EntityPayload;
}

/** The local id the held fish had in its tank (absent in reservations made before it was kept). */
function localIdOf(r: TransferReservation): number | undefined {
  const id = (r.payload as { [LOCAL_ID]?: unknown })[LOCAL_ID];
  return typeof id === 'number' ? id : undefined;
}

/** How a transfer ended, as the coordinator decided it. */
export type TransferOutcome = 'committed' | 'aborted' | 'pending';

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
}

export interface PreparedSource {
  transfer_id: string;
  tank_id: string;
  entity_uid: string;
  old_id: number | null;
  payload: EntityPayload;
}

export interface CommittedDest {
  transfer_id: string;
  tank_id: string;
  entity_uid: string;
  /** The fish's local id in the destination; null when it has moved on since. */
  new_id: number | null;
}

export type Participant = ReturnType<typeof createParticipant>;

/**
 * @example
 * ```ts
 * const participant = createParticipant({ serverId, db, host, snapshotter, logger, crash });
 * const tanks = createTankService({ …, reconcileWorld: participant.reconcileWorld });
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
  outcomeOf = async (transferId) => {
    const found = await getTransfer(db, transferId);
    // No log entry at all: the coordinator logs before it prepares, so nothing was decided to
    // commit; presumed abort.
    if (!found) return 'aborted';
    const { status } = found.transfer;
    return status === 'committed'
      ? 'committed'
      : status === 'initiated' || status === 'prepared'
        ? 'pending'
        : 'aborted';
  },
  staleAfterMs = 30_000,
  sweepIntervalMs = 10_000,
}: ParticipantOptions) {
  const log = logger.child({ part: 'transfers' });
  /** One step at a time per transfer, so a retry racing its first attempt waits for it. */
  const running = new Map<string, Promise<unknown>>();
  /** Arrivals this process prepared and has not committed or aborted yet (saves a read at commit). */
  const arriving = new Map<string, TransferReservation>();
  let timer: NodeJS.Timeout | undefined;

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

  /** Writes the tank's snapshot (fenced) and runs `change` in one transaction. */
  async function saveWith(tank: Tank, change: (tx: Db) => Promise<unknown>): Promise<void> {
    const frame = tank.world.frame;
    const state = encodeTankSnapshot(tank);
    await db.transaction(async (tx) => {
      const { fenced } = await saveSnapshots(tx, [
        { tankId: tank.id, serverId, epoch: tank.epoch, frame, state },
      ]);
      if (fenced.length > 0)
        throw new ApiError('stale_epoch', `tank ${tank.id} has moved away from server ${serverId}`);
      await change(tx);
    });
    tank.markSaved(frame);
  }

  function snapshotOf(tank: Tank): NewSnapshot {
    return {
      tankId: tank.id,
      serverId,
      epoch: tank.epoch,
      frame: tank.world.frame,
      state: encodeTankSnapshot(tank),
    };
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
      const prepared = await snapshotter.exclusive([tank.id], async () => {
        const world = tank.world;
        const uid =
          req.entityUid ?? (req.entityId === undefined ? undefined : fishUidOf(world, req.entityId));
        const oldId = uid === undefined ? undefined : fishIdOf(world, uid);
        if (uid === undefined || oldId === undefined) {
          // Not in the world: held already by this transfer (a retry), or unknown.
          const held = await getReservation(db, { transferId: req.transferId, role: 'source' });
          if (held) return { uid: held.entityUid, oldId: req.entityId ?? null, payload: fishOf(held) };
          throw new ApiError('unknown_entity', `no fish ${req.entityUid ?? req.entityId} in tank ${tank.id}`);
        }
        const payload = extractEntity(world, uid, { hold: true });
        tank.touch();
        let written: { reserved: boolean; saved: boolean };
        try {
          const frame = world.frame;
          written = await reserveWithSnapshot(db, {
            reservation: {
              transferId: req.transferId,
              tankId: tank.id,
              serverId,
              role: 'source',
              entityUid: uid,
              payload: { ...payload, [LOCAL_ID]: oldId },
            },
            snapshot: snapshotOf(tank),
          });
          if (written.saved) tank.markSaved(frame);
        } catch (err) {
          // Nothing durable says the fish left: it goes back into the slot it held.
          insertEntity(world, payload, { held: true });
          throw err;
        }
        if (!written.reserved || !written.saved) insertEntity(world, payload, { held: true });
        if (!written.reserved) {
          // This side was reserved before (and that fish is held by it): answer as then.
          const held = await getReservation(db, { transferId: req.transferId, role: 'source' });
          if (!held) throw new ApiError('conflict', `transfer ${req.transferId} is being prepared`);
          return { uid: held.entityUid, oldId: req.entityId ?? null, payload: fishOf(held) };
        }
        if (!written.saved) {
          // The tank moved away: the lone reservation is dropped (a restore would honour it).
          await deleteReservation(db, { transferId: req.transferId, role: 'source' }).catch(() => undefined);
          throw fenced(tank);
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

  async function prepareDest(req: { transferId: string; tankId: string; payload: unknown }) {
    return serial(req.transferId, async () => {
      crash('dest_before_prepare');
      const payload = validateFishPayload(req.payload);
      const tank = tankHere(req.tankId);
      if (!tank.meta.allow_transfers)
        throw new ApiError('forbidden', `tank ${tank.id} does not allow transfers`);
      const answer = { transfer_id: req.transferId, tank_id: tank.id, entity_uid: payload.uid };
      try {
        if (fishIdOf(tank.world, payload.uid) !== undefined)
          throw new ApiError('duplicate_entity', `fish ${payload.uid} is already in tank ${tank.id}`);
        holdFishSlot(tank.world);
      } catch (err) {
        // A retry whose first attempt held the room (and may have filled the tank) is no error.
        const held = await getReservation(db, { transferId: req.transferId, role: 'dest' });
        if (held) return { ...answer, tank_id: held.tankId, entity_uid: held.entityUid };
        throw err;
      }
      let put: Awaited<ReturnType<typeof putReservation>>;
      try {
        put = await putReservation(db, {
          transferId: req.transferId,
          tankId: tank.id,
          serverId,
          role: 'dest',
          entityUid: payload.uid,
          payload,
        });
      } catch (err) {
        releaseFishSlot(tank.world);
        throw err;
      }
      if (!put.created) {
        releaseFishSlot(tank.world);
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
      const held =
        arriving.get(req.transferId) ??
        (await getReservation(db, { transferId: req.transferId, role: 'dest' }));
      // Committed before (or never prepared, which the coordinator rules out): a no-op.
      if (!held) return done(host.get(req.tankId) && fishIdOf(host.get(req.tankId)!.world, req.entityUid));
      const tank = tankHere(held.tankId);
      const result = await snapshotter.exclusive([tank.id], async () => {
        const world = tank.world;
        // Present already: an earlier attempt inserted it and then failed to save.
        const present = fishIdOf(world, held.entityUid);
        const id = present ?? insertEntity(world, held.payload as EntityPayload, { held: true }).id;
        tank.touch();
        const frame = world.frame;
        // On failure the fish stays in (the decision is commit); the retry finds it present.
        const written = await releaseWithSnapshot(db, {
          transferId: req.transferId,
          role: 'dest',
          snapshot: snapshotOf(tank),
        });
        if (!written.found) {
          // Settled elsewhere meanwhile (nothing was written here): not inserted a second time.
          if (present === undefined) extractEntity(world, held.entityUid);
          arriving.delete(req.transferId);
          return fishIdOf(world, req.entityUid);
        }
        if (!written.saved) throw fenced(tank);
        tank.markSaved(frame);
        arriving.delete(req.transferId);
        return id;
      });
      crash('dest_after_commit');
      log.debug({ transfer_id: req.transferId, tank_id: tank.id, uid: held.entityUid }, 'fish arrived');
      return { ...done(result), tank_id: tank.id, entity_uid: held.entityUid };
    });
  }

  async function commitSource(req: { transferId: string }) {
    return serial(req.transferId, async () => {
      crash('source_before_drop');
      const held = await deleteReservation(db, { transferId: req.transferId, role: 'source' });
      if (!held) return { transfer_id: req.transferId, dropped: false };
      const tank = host.get(held.tankId);
      if (tank) releaseFishSlot(tank.world);
      log.debug(
        { transfer_id: req.transferId, tank_id: held.tankId, uid: held.entityUid },
        'fish left for good',
      );
      return { transfer_id: req.transferId, dropped: true };
    });
  }

  async function abort(req: { transferId: string }) {
    return serial(req.transferId, async () => {
      const source = await getReservation(db, { transferId: req.transferId, role: 'source' });
      const dest = await getReservation(db, { transferId: req.transferId, role: 'dest' });
      if (source) {
        const tank = tankHere(source.tankId);
        await snapshotter.exclusive([tank.id], async () => {
          const world = tank.world;
          const inserted = fishIdOf(world, source.entityUid) === undefined;
          // Back under its old local id, so a client's next request with that id finds it.
          if (inserted) insertEntity(world, source.payload, { held: true, id: localIdOf(source) });
          tank.touch();
          try {
            await saveWith(tank, (tx) =>
              deleteReservation(tx, { transferId: req.transferId, role: 'source' }),
            );
          } catch (err) {
            // Still held durably: hold it in memory too, until the abort is retried.
            if (inserted) extractEntity(world, source.entityUid, { hold: true });
            throw err;
          }
        });
        log.info({ transfer_id: req.transferId, tank_id: tank.id, uid: source.entityUid }, 'fish put back');
      }
      arriving.delete(req.transferId);
      if (dest) {
        await deleteReservation(db, { transferId: req.transferId, role: 'dest' });
        const tank = host.get(dest.tankId);
        if (tank && fishIdOf(tank.world, dest.entityUid) === undefined) releaseFishSlot(tank.world);
      }
      return { transfer_id: req.transferId, restored: source !== undefined, released: dest !== undefined };
    });
  }

  /**
   * Brings a world just restored from a snapshot in line with the open reservations on its
   * tank: a fish held out of it is taken out again if the snapshot still shows it, and every
   * held fish or promised arrival holds its slot.
   */
  async function reconcileWorld(tankId: string, world: World): Promise<void> {
    for (const r of await listReservations(db, { tankId })) {
      const present = fishIdOf(world, r.entityUid) !== undefined;
      if (r.role === 'source') {
        if (present) {
          extractEntity(world, r.entityUid, { hold: true });
          world.counters.transfersOut--;
        } else world.heldSlots++;
      } else if (!present) world.heldSlots++;
    }
  }

  /** Open reservations of this server (what it holds), oldest first. */
  function list(): Promise<TransferReservation[]> {
    return listReservations(db, { serverId });
  }

  /** Every fish uid in every tank here, for the coordinator's audit. */
  function census(): Array<{ tank_id: string; uids: string[] }> {
    return host.list().map((t) => ({ tank_id: t.id, uids: t.world.fish.uid.slice(0, t.world.fish.count) }));
  }

  const finish: Record<ReservationRole, (r: TransferReservation) => Promise<unknown>> = {
    source: (r) => commitSource({ transferId: r.transferId }),
    dest: (r) => commitDest({ transferId: r.transferId, tankId: r.tankId, entityUid: r.entityUid }),
  };

  /** Resolves reservations older than `staleAfterMs` by the coordinator's decision. */
  async function sweep(): Promise<number> {
    const cutoff = Date.now() - staleAfterMs;
    let resolved = 0;
    for (const r of await list()) {
      if (r.createdAt.getTime() > cutoff || !host.get(r.tankId)) continue;
      const outcome = await outcomeOf(r.transferId);
      if (outcome === 'pending') continue;
      await (outcome === 'committed' ? finish[r.role](r) : abort({ transferId: r.transferId }));
      resolved++;
      log.warn(
        { transfer_id: r.transferId, role: r.role, outcome },
        'stale reservation resolved by the coordinator log',
      );
    }
    return resolved;
  }

  return {
    prepareSource,
    prepareDest,
    commitDest,
    commitSource,
    abort,
    reconcileWorld,
    list,
    census,
    sweep,
    start() {
      const loop = () => {
        sweep()
          .catch((err) => log.warn({ err }, 'reservation sweep failed; will retry'))
          .finally(() => {
            if (timer) timer = setTimeout(loop, sweepIntervalMs);
          });
      };
      timer ??= setTimeout(loop, sweepIntervalMs);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
