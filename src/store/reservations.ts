/**
 * @module
 * Queries on `transfer_reservations`: a participant's half of a transfer (the source holds the
 * fish out of its world, the destination holds room for it), kept in the database so a server
 * that restarts still knows what it holds and can ask the coordinator how each transfer ended.
 * The steps that change which tank a fish is in write the tank's snapshot in the same statement
 * as the reservation change (`reserveWithSnapshot`, `releaseWithSnapshot`): both or neither.
 * These run on every transfer step, so they are built once and run prepared (`prepared.ts`).
 */
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, ConflictError, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import { preparedOnce } from './prepared.ts';
import {
  type NewTransferReservation,
  type ReservationRole,
  type TransferReservation,
  transferReservationsTable,
} from './schema.ts';
import { fencedSnapshotInsert, type NewSnapshot, type SnapshotParams, snapshotParams } from './snapshots.ts';

/** One side of a transfer, by placeholders `transferId` and `role`. */
const side = and(
  eq(transferReservationsTable.transferId, sql.placeholder('transferId')),
  eq(transferReservationsTable.role, sql.placeholder('role')),
);

/** A reservation's columns as placeholders of the same names. */
const reservationParams = {
  transferId: sql.placeholder('transferId'),
  tankId: sql.placeholder('tankId'),
  serverId: sql.placeholder('serverId'),
  role: sql.placeholder('role'),
  entityUid: sql.placeholder('entityUid'),
  payload: sql.placeholder('payload'),
};

/** A snapshot row's parameters as placeholders (`snapshot_*`), and their values. */
const SNAPSHOT: SnapshotParams = {
  snapshotId: sql.placeholder('snapshot_id'),
  tankId: sql.placeholder('snapshot_tank_id'),
  serverId: sql.placeholder('snapshot_server_id'),
  epoch: sql.placeholder('snapshot_epoch'),
  frame: sql.placeholder('snapshot_frame'),
  state: sql.placeholder('snapshot_state'),
};

function snapshotValues(snapshot: NewSnapshot): Record<string, unknown> {
  const p = snapshotParams(snapshot);
  return {
    snapshot_id: p.snapshotId,
    snapshot_tank_id: p.tankId,
    snapshot_server_id: p.serverId,
    snapshot_epoch: p.epoch,
    snapshot_frame: p.frame,
    snapshot_state: p.state,
  };
}

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
  reservation: Omit<NewTransferReservation, 'createdAt'>,
): Promise<PutReservation> {
  const { transferId, role } = reservation;
  if (!isUuid(transferId) || !isUuid(reservation.tankId))
    throw new NotFoundError(`no transfer ${transferId} or tank`);
  return attempt(`reserve ${role} of transfer ${transferId}`, async () => {
    const [row] = await preparedOnce(db, 'put_reservation', () =>
      db
        .insert(transferReservationsTable)
        .values(reservationParams)
        .onConflictDoNothing()
        .returning()
        .prepare('put_reservation'),
    ).execute(reservation);
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
 * Drops a reservation once its transfer committed or aborted and returns it; undefined when
 * there was none (the step already ran), so commit and abort can be retried.
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
      db.delete(transferReservationsTable).where(side).returning().prepare('delete_reservation'),
    ).execute({ transferId, role });
    return gone;
  });
}

/**
 * Records a reservation and writes its tank's snapshot (fenced) in one statement: the snapshot
 * only with a new reservation. `reserved` false: this side was reserved before (nothing
 * written). `saved` false with `reserved` true: the tank has moved away (fenced) and the
 * reservation went in alone, which a restore reconciles with like any other.
 *
 * @example
 * ```ts
 * const { reserved, saved } = await reserveWithSnapshot(db, { reservation, snapshot });
 * ```
 */
export async function reserveWithSnapshot(
  db: Db,
  {
    reservation,
    snapshot,
  }: { reservation: Omit<NewTransferReservation, 'createdAt'>; snapshot: NewSnapshot },
): Promise<{ reserved: boolean; saved: boolean }> {
  const { transferId, role } = reservation;
  if (!isUuid(transferId) || !isUuid(reservation.tankId) || !isUuid(snapshot.tankId))
    throw new NotFoundError(`no transfer ${transferId} or tank`);
  return attempt(`reserve ${role} of transfer ${transferId} with a snapshot`, async () => {
    const [row] = await preparedOnce(db, 'reserve_with_snapshot', () => {
      const reserved = db
        .$with('reserved')
        .as(
          db
            .insert(transferReservationsTable)
            .values(reservationParams)
            .onConflictDoNothing()
            .returning({ transferId: transferReservationsTable.transferId }),
        );
      const saved = db
        .$with('saved')
        .as(fencedSnapshotInsert(db, [SNAPSHOT], sql`exists (select 1 from ${reserved})`));
      return db
        .with(reserved, saved)
        .select({ transferId: reserved.transferId, tankId: saved.tankId })
        .from(reserved)
        .leftJoin(saved, sql`true`)
        .prepare('reserve_with_snapshot');
    }).execute({ ...reservation, ...snapshotValues(snapshot) });
    return { reserved: row !== undefined, saved: row?.tankId != null };
  });
}

/**
 * Drops a reservation and writes its tank's snapshot (fenced) in one statement, only if the
 * reservation is still there (locked meanwhile) and only together: `found` false means it was
 * gone (nothing written); `found` with `saved` false means the tank has moved away (nothing
 * written either).
 *
 * @example
 * ```ts
 * const { found, saved } = await releaseWithSnapshot(db, { transferId, role: 'dest', snapshot });
 * ```
 */
export async function releaseWithSnapshot(
  db: Db,
  { transferId, role, snapshot }: { transferId: string; role: ReservationRole; snapshot: NewSnapshot },
): Promise<{ found: boolean; saved: boolean }> {
  if (!isUuid(transferId) || !isUuid(snapshot.tankId)) return { found: false, saved: false };
  return attempt(`release ${role} of transfer ${transferId} with a snapshot`, async () => {
    const [row] = await preparedOnce(db, 'release_with_snapshot', () => {
      const held = db
        .$with('held')
        .as(
          db
            .select({ transferId: transferReservationsTable.transferId })
            .from(transferReservationsTable)
            .where(side)
            .for('update'),
        );
      const saved = db
        .$with('saved')
        .as(fencedSnapshotInsert(db, [SNAPSHOT], sql`exists (select 1 from ${held})`));
      const released = db.$with('released').as(
        db
          .delete(transferReservationsTable)
          .where(and(side, sql`exists (select 1 from ${saved})`))
          .returning({ transferId: transferReservationsTable.transferId }),
      );
      return db
        .with(held, saved, released)
        .select({ transferId: held.transferId, tankId: saved.tankId })
        .from(held)
        .leftJoin(saved, sql`true`)
        .leftJoin(released, sql`true`)
        .prepare('release_with_snapshot');
    }).execute({ transferId, role, ...snapshotValues(snapshot) });
    return { found: row !== undefined, saved: row?.tankId != null };
  });
}

/**
 * Open reservations, oldest first: of one server (what it holds after a restart), of one tank,
 * or all of them (the audit).
 *
 * @example
 * ```ts
 * for (const r of await listReservations(db, { serverId: self.id })) await askCoordinator(r.transferId);
 * ```
 */
export async function listReservations(
  db: Db,
  { serverId, tankId }: { serverId?: string; tankId?: string } = {},
): Promise<TransferReservation[]> {
  if (tankId !== undefined && !isUuid(tankId)) return [];
  const filters: (SQL | undefined)[] = [
    serverId === undefined ? undefined : eq(transferReservationsTable.serverId, serverId),
    tankId === undefined ? undefined : eq(transferReservationsTable.tankId, tankId),
  ];
  return attempt('list reservations', () =>
    db
      .select()
      .from(transferReservationsTable)
      .where(and(...filters))
      .orderBy(asc(transferReservationsTable.createdAt), asc(transferReservationsTable.transferId)),
  );
}
