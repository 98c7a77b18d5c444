/**
 * @module
 * Queries on `transfer_reservations`: a participant's half of a transfer (the source holds the
 * fish out of its world, the destination holds room for it), kept in the database so a server
 * that restarts still knows what it holds and can ask the coordinator how each transfer ended.
 * The steps that change which tank a fish is in are fenced on the tank's location
 * (`reserveFenced`, `settleReservation`), and a settled side stays as the tank's journal until
 * the snapshotter saves a snapshot that covers it (`saveSnapshots`). These run on every transfer
 * step, so they are built once and run prepared (`prepared.ts`), and concurrent ones go out
 * together as one multi-row statement (`reservation-batches.ts`).
 */
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, ConflictError, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import { preparedOnce } from './prepared.ts';
import { insertReservation, type Settle, settleOne } from './reservation-batches.ts';
import {
  type NewTransferReservation,
  type ReservationRole,
  type TransferReservation,
  transferReservationsTable,
} from './schema.ts';

/** One side of a transfer, by placeholders `transferId` and `role`. */
const side = and(
  eq(transferReservationsTable.transferId, sql.placeholder('transferId')),
  eq(transferReservationsTable.role, sql.placeholder('role')),
);

export interface PutReservation {
  reservation: TransferReservation;
  /** False when this side of the transfer was already reserved (a retried prepare). */
  created: boolean;
}

/**
 * Records a reservation. A prepare is retried on failure, so a second put for the same transfer
 * and role returns the reservation already there (`created: false`) instead of a new one.
 *
 * @example
 * ```ts
 * const { created } = await putReservation(db, { transferId, tankId, serverId: self.id,
 *   role: 'source', entityUid: fish.uid, payload: encodeFish(fish) });
 * if (created) world.remove(fish.id);
 * ```
 */
export async function putReservation(
  db: Db,
  reservation: Omit<NewTransferReservation, 'createdAt' | 'state'>,
): Promise<PutReservation> {
  const { transferId, role } = reservation;
  if (!isUuid(transferId) || !isUuid(reservation.tankId))
    throw new NotFoundError(`no transfer ${transferId} or tank`);
  return attempt(`reserve ${role} of transfer ${transferId}`, async () => {
    const row = await insertReservation(db, { seq: 0, ...reservation });
    if (row) return { reservation: row, created: true };
    const existing = await getReservation(db, { transferId, role });
    if (!existing) throw new ConflictError(`reservation ${role} of transfer ${transferId} is being written`);
    return { reservation: existing, created: false };
  });
}

/**
 * One side's reservation of a transfer, or undefined.
 *
 * @example
 * ```ts
 * const held = await getReservation(db, { transferId, role: 'source' });
 * ```
 */
export async function getReservation(
  db: Db,
  { transferId, role }: { transferId: string; role: ReservationRole },
): Promise<TransferReservation | undefined> {
  if (!isUuid(transferId)) return undefined;
  return attempt(`get reservation ${role} of transfer ${transferId}`, async () => {
    const [row] = await preparedOnce(db, 'get_reservation', () =>
      db.select().from(transferReservationsTable).where(side).prepare('get_reservation'),
    ).execute({ transferId, role });
    return row;
  });
}

/**
 * Drops an open reservation whose step did not change the world (the destination's room, on
 * abort) and returns it; undefined when there was none (the step already ran), so it can be
 * retried. A settled side is a journal entry and stays.
 *
 * @example
 * ```ts
 * const dropped = await deleteReservation(db, { transferId, role: 'source' });
 * if (dropped) releaseSlot(dropped.tankId);
 * ```
 */
export async function deleteReservation(
  db: Db,
  { transferId, role }: { transferId: string; role: ReservationRole },
): Promise<TransferReservation | undefined> {
  if (!isUuid(transferId)) return undefined;
  return attempt(`release ${role} of transfer ${transferId}`, async () => {
    const [gone] = await preparedOnce(db, 'delete_reservation', () =>
      db
        .delete(transferReservationsTable)
        .where(and(side, eq(transferReservationsTable.state, 'open')))
        .returning()
        .prepare('delete_reservation'),
    ).execute({ transferId, role });
    return gone;
  });
}

/** A new reservation whose step changed the tank's world, at position `seq` of its changes. */
export type JournalledReservation = Omit<NewTransferReservation, 'createdAt' | 'state' | 'seq'> & {
  seq: number;
};

/**
 * Records a reservation whose step changed the tank's world (the source holding its fish out),
 * fenced: only while `tank_locations` names this server at `epoch`. FOR SHARE holds the
 * location until commit, so a failover moving the tank either waits for this row (and its
 * restore sees it) or is seen here (and nothing is written). `reserved` false: the side was
 * reserved before (a retry) or the tank moved away; `getReservation` tells which.
 *
 * @example
 * ```ts
 * tank.journalSeq++;
 * const { reserved } = await reserveFenced(db, { reservation: { ...side, seq: tank.journalSeq }, epoch: tank.epoch });
 * ```
 */
export async function reserveFenced(
  db: Db,
  { reservation, epoch }: { reservation: JournalledReservation; epoch: number },
): Promise<{ reserved: boolean }> {
  const { transferId, role } = reservation;
  if (!isUuid(transferId) || !isUuid(reservation.tankId))
    throw new NotFoundError(`no transfer ${transferId} or tank`);
  return attempt(`reserve ${role} of transfer ${transferId}`, async () => ({
    reserved: (await insertReservation(db, { ...reservation, epoch })) !== undefined,
  }));
}

/**
 * Settles an open reservation as a journal entry (`departed`, `arrived` or `returned`) at
 * position `seq` of its tank's changes (or where it is), and returns it; undefined when it was not open (settled
 * before, or never there). With `epoch`, fenced like {@link reserveFenced}: also undefined when
 * the tank has moved away from `serverId`.
 *
 * @example
 * ```ts
 * const arrived = await settleReservation(db, { transferId, role: 'dest', state: 'arrived', seq, serverId, epoch });
 * ```
 */
export async function settleReservation(
  db: Db,
  { transferId, role, state, seq, serverId, epoch }: Settle,
): Promise<TransferReservation | undefined> {
  if (!isUuid(transferId)) return undefined;
  return attempt(`settle ${role} of transfer ${transferId} as ${state}`, () =>
    settleOne(db, { transferId, role, state, seq, serverId, epoch }),
  );
}

/**
 * Open reservations, oldest first: of one server (what it holds after a restart), of one tank,
 * or all of them (the audit). With `settled`, the tank's journal entries too, in the order of
 * the tank's changes (what a restore replays).
 *
 * @example
 * ```ts
 * for (const r of await listReservations(db, { serverId: self.id })) await askCoordinator(r.transferId);
 * ```
 */
export async function listReservations(
  db: Db,
  { serverId, tankId, settled = false }: { serverId?: string; tankId?: string; settled?: boolean } = {},
): Promise<TransferReservation[]> {
  if (tankId !== undefined && !isUuid(tankId)) return [];
  const filters: (SQL | undefined)[] = [
    serverId === undefined ? undefined : eq(transferReservationsTable.serverId, serverId),
    tankId === undefined ? undefined : eq(transferReservationsTable.tankId, tankId),
    settled ? undefined : eq(transferReservationsTable.state, 'open'),
  ];
  return attempt('list reservations', () =>
    db
      .select()
      .from(transferReservationsTable)
      .where(and(...filters))
      .orderBy(
        ...(settled ? [asc(transferReservationsTable.seq)] : []),
        asc(transferReservationsTable.createdAt),
        asc(transferReservationsTable.transferId),
      ),
  );
}
