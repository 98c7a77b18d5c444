/**
 * @module
 * Queries on `transfer_reservations`: a participant's half of a transfer (the source holds the
 * fish out of its world, the destination holds room for it), kept in the database so a server
 * that restarts still knows what it holds and can ask the coordinator how each transfer ended.
 */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, ConflictError, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type NewTransferReservation,
  type ReservationRole,
  type TransferReservation,
  transferReservationsTable,
} from './schema.ts';

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
    const [row] = await db
      .insert(transferReservationsTable)
      .values(reservation)
      .onConflictDoNothing()
      .returning();
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
    const [row] = await db
      .select()
      .from(transferReservationsTable)
      .where(
        and(eq(transferReservationsTable.transferId, transferId), eq(transferReservationsTable.role, role)),
      );
    return row;
  });
}

/**
 * Drops a reservation once its transfer committed or aborted; false when there was none (the
 * step already ran), so commit and abort can be retried.
 *
 * @example
 * ```ts
 * await deleteReservation(db, { transferId, role: 'source' });
 * ```
 */
export async function deleteReservation(
  db: Db,
  { transferId, role }: { transferId: string; role: ReservationRole },
): Promise<boolean> {
  if (!isUuid(transferId)) return false;
  return attempt(`release ${role} of transfer ${transferId}`, async () => {
    const gone = await db
      .delete(transferReservationsTable)
      .where(
        and(eq(transferReservationsTable.transferId, transferId), eq(transferReservationsTable.role, role)),
      )
      .returning({ transferId: transferReservationsTable.transferId });
    return gone.length > 0;
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
