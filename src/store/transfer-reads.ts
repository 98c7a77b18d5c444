/**
 * @module
 * Reads of the 2PC coordinator's log (`transfers`, `transfer_events`): one transfer with its
 * events, by idempotency key, by tank, the unfinished ones recovery must drive to an end, and
 * which fish a transfer has ever moved into or out of a tank.
 */
import { and, asc, desc, eq, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type Transfer,
  type TransferEvent,
  transferEventsTable,
  transferReservationsTable,
  transfersTable,
} from './schema.ts';

export interface TransferWithEvents {
  transfer: Transfer;
  /** Oldest first. */
  events: TransferEvent[];
}

/**
 * A transfer with its events, or undefined.
 *
 * @example
 * ```ts
 * const found = await getTransfer(db, transferId);
 * if (found) reply({ ...found.transfer, events: found.events });
 * ```
 */
export async function getTransfer(db: Db, transferId: string): Promise<TransferWithEvents | undefined> {
  if (!isUuid(transferId)) return undefined;
  return attempt(`get transfer ${transferId}`, async () => {
    const [transfer] = await db
      .select()
      .from(transfersTable)
      .where(eq(transfersTable.transferId, transferId));
    if (!transfer) return undefined;
    const events = await db
      .select()
      .from(transferEventsTable)
      .where(eq(transferEventsTable.transferId, transferId))
      .orderBy(asc(transferEventsTable.eventId));
    return { transfer, events };
  });
}

/**
 * The transfer a user logged under an idempotency key, or undefined (keys are per user).
 *
 * @example
 * ```ts
 * const earlier = await getTransferByKey(db, { idempotencyKey: key, requestedBy: 'alice' });
 * if (earlier?.response) return earlier.response;
 * ```
 */
export async function getTransferByKey(
  db: Db,
  { idempotencyKey, requestedBy }: { idempotencyKey: string; requestedBy: string },
): Promise<Transfer | undefined> {
  return attempt(`get transfer by key ${idempotencyKey}`, async () => {
    const [row] = await db
      .select()
      .from(transfersTable)
      .where(
        and(eq(transfersTable.idempotencyKey, idempotencyKey), eq(transfersTable.requestedBy, requestedBy)),
      );
    return row;
  });
}

/**
 * Transfers from or to a tank, newest first.
 *
 * @example
 * ```ts
 * const recent = await listTransfersByTank(db, tankId, { limit: 20 });
 * ```
 */
export async function listTransfersByTank(
  db: Db,
  tankId: string,
  { limit = 50 }: { limit?: number } = {},
): Promise<Transfer[]> {
  if (!isUuid(tankId)) return [];
  return attempt(`list transfers of tank ${tankId}`, () =>
    db
      .select()
      .from(transfersTable)
      .where(or(eq(transfersTable.sourceTankId, tankId), eq(transfersTable.destTankId, tankId)))
      .orderBy(desc(transfersTable.createdAt), desc(transfersTable.transferId))
      .limit(Math.max(1, Math.trunc(limit))),
  );
}

/**
 * Transfers not yet committed, aborted or failed, oldest first: what recovery must finish.
 * `idleSince` leaves out transfers updated after it, i.e. those a live coordinator is driving.
 *
 * @example
 * ```ts
 * const stuck = await listUnfinishedTransfers(db, { idleSince: new Date(Date.now() - 30_000) });
 * ```
 */
export async function listUnfinishedTransfers(
  db: Db,
  { idleSince, limit = 1000 }: { idleSince?: Date; limit?: number } = {},
): Promise<Transfer[]> {
  return attempt('list unfinished transfers', () =>
    db
      .select()
      .from(transfersTable)
      .where(
        and(
          // Written out (not a bound list) so the planner can use the partial index on it.
          sql`${transfersTable.status} in ('initiated', 'prepared')`,
          idleSince === undefined ? undefined : lte(transfersTable.updatedAt, idleSince),
        ),
      )
      .orderBy(asc(transfersTable.createdAt))
      .limit(Math.max(1, Math.trunc(limit))),
  );
}

/**
 * Which of `uids` a transfer has ever named as leaving or entering a tank, whatever its outcome:
 * by the coordinator's log (kept for good; a uid is in it from `prepared` on) or by a
 * reservation of the tank (open, or settled and still kept as its journal; it names the uid
 * from the source's prepare on). A fish of the tank that is in neither has only ever lived
 * there: its births and deaths are the tank's own history.
 *
 * @example
 * ```ts
 * const moved = await transferredUids(db, { tankId, uids: ['a1.3', 'a1.7'] });
 * if (!moved.has('a1.3')) bringBack('a1.3');
 * ```
 */
export async function transferredUids(
  db: Db,
  { tankId, uids }: { tankId: string; uids: readonly string[] },
): Promise<Set<string>> {
  if (!isUuid(tankId) || uids.length === 0) return new Set();
  const t = transfersTable;
  const r = transferReservationsTable;
  return attempt(`transferred fish of tank ${tankId}`, async () => {
    const [logged, reserved] = await Promise.all([
      db
        .selectDistinct({ uid: t.entityUid })
        .from(t)
        .where(
          and(
            or(eq(t.sourceTankId, tankId), eq(t.destTankId, tankId)),
            isNotNull(t.entityUid),
            inArray(t.entityUid, [...uids]),
          ),
        ),
      db
        .selectDistinct({ uid: r.entityUid })
        .from(r)
        .where(and(eq(r.tankId, tankId), inArray(r.entityUid, [...uids]))),
    ]);
    return new Set([...logged, ...reserved].flatMap((row) => (row.uid === null ? [] : [row.uid])));
  });
}
