/**
 * @module
 * The 2PC coordinator's log: `transfers` (one row per transfer, unique idempotency key) and
 * `transfer_events` (append-only). Each step changes the status and appends its event in one
 * transaction, so the log never says a step happened without its event or the reverse.
 */
import { and, asc, desc, eq, inArray, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, ConflictError, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type NewTransfer,
  type Transfer,
  type TransferEvent,
  type TransferStatus,
  transferEventsTable,
  transfersTable,
} from './schema.ts';

/** A new transfer; it starts `initiated`, with an `initiated` event carrying `eventData`. */
export type CreateTransfer = Omit<
  NewTransfer,
  'status' | 'createdAt' | 'updatedAt' | 'response' | 'error'
> & {
  eventData?: Record<string, unknown>;
};

export interface CreatedTransfer {
  transfer: Transfer;
  /** False when a transfer with this idempotency key already existed and is returned instead. */
  created: boolean;
}

/** A status change, with the fields the step learned and the data of its event. */
export interface StatusChange {
  transferId: string;
  status: TransferStatus;
  /** Statuses the change is allowed from; the unfinished ones (`initiated`, `prepared`) by default. */
  expected?: readonly TransferStatus[];
  entityUid?: string;
  entityPayload?: unknown;
  oldId?: number;
  newId?: number;
  error?: string;
  /** The answer to replay for retries with the same idempotency key. */
  response?: unknown;
  eventData?: Record<string, unknown>;
}

export interface TransferWithEvents {
  transfer: Transfer;
  /** Oldest first. */
  events: TransferEvent[];
}

const UNFINISHED: readonly TransferStatus[] = ['initiated', 'prepared'];

/**
 * Logs a new transfer and its `initiated` event, or, when the idempotency key is taken, returns
 * the transfer already logged under it (`created: false`); concurrent calls with one key yield
 * one transfer. Comparing `requestHash` to tell a retry from a reused key is the caller's job.
 *
 * @example
 * ```ts
 * const { transfer, created } = await createTransfer(db, { idempotencyKey, requestHash,
 *   sourceTankId, destTankId, sourceServer: 'srv-1', destServer: 'srv-2', entityId: 42 });
 * if (!created && transfer.requestHash !== requestHash) throw new ApiError('idempotency_mismatch', key);
 * ```
 */
export async function createTransfer(
  db: Db,
  { eventData = {}, ...transfer }: CreateTransfer,
): Promise<CreatedTransfer> {
  return attempt(`create transfer ${transfer.idempotencyKey}`, () =>
    db.transaction(async (tx) => {
      // ON CONFLICT DO NOTHING instead of catching the unique violation: a failed statement
      // would abort a surrounding transaction. A concurrent insert of the same key makes this
      // one wait for it to commit, then do nothing, and the select below sees its row.
      const [row] = await tx
        .insert(transfersTable)
        .values({ ...transfer, status: 'initiated' })
        .onConflictDoNothing({ target: transfersTable.idempotencyKey })
        .returning();
      if (row) {
        await tx
          .insert(transferEventsTable)
          .values({ transferId: row.transferId, eventType: 'initiated', eventData });
        return { transfer: row, created: true };
      }
      const [existing] = await tx
        .select()
        .from(transfersTable)
        .where(eq(transfersTable.idempotencyKey, transfer.idempotencyKey));
      if (!existing)
        throw new ConflictError(
          `idempotency key ${transfer.idempotencyKey} is taken by an uncommitted transfer`,
        );
      return { transfer: existing, created: false };
    }),
  );
}

/**
 * Moves a transfer to `status`, stores what the step learned and appends an event of that type,
 * in one transaction. Setting the status it already has is a no-op that returns the row (a retried
 * step); a status not in `expected` throws `ConflictError`; an unknown transfer `NotFoundError`.
 *
 * @example
 * ```ts
 * await setTransferStatus(db, { transferId, status: 'prepared', entityUid, entityPayload, oldId: 42 });
 * await setTransferStatus(db, { transferId, status: 'committed', expected: ['prepared'], newId: 105, response });
 * ```
 */
export async function setTransferStatus(db: Db, change: StatusChange): Promise<Transfer> {
  const { transferId, status, expected = UNFINISHED, eventData = {}, ...fields } = change;
  if (!isUuid(transferId)) throw new NotFoundError(`no transfer ${transferId}`);
  return attempt(`set transfer ${transferId} ${status}`, () =>
    db.transaction(async (tx) => {
      const [row] = await tx
        .update(transfersTable)
        .set({ ...fields, status, updatedAt: sql`now()` })
        .where(
          and(
            eq(transfersTable.transferId, transferId),
            inArray(transfersTable.status, [...expected]),
            ne(transfersTable.status, status),
          ),
        )
        .returning();
      if (row) {
        await tx.insert(transferEventsTable).values({ transferId, eventType: status, eventData });
        return row;
      }
      const [current] = await tx
        .select()
        .from(transfersTable)
        .where(eq(transfersTable.transferId, transferId));
      if (!current) throw new NotFoundError(`no transfer ${transferId}`);
      if (current.status === status) return current;
      throw new ConflictError(`transfer ${transferId} is ${current.status}; cannot become ${status}`);
    }),
  );
}

/**
 * Appends an event that is not a status change (a participant's answer, a recovery decision).
 *
 * @example
 * ```ts
 * await appendTransferEvent(db, { transferId, eventType: 'dest_prepared', eventData: { server: 'srv-2' } });
 * ```
 */
export async function appendTransferEvent(
  db: Db,
  {
    transferId,
    eventType,
    eventData = {},
  }: { transferId: string; eventType: string; eventData?: Record<string, unknown> },
): Promise<TransferEvent> {
  if (!isUuid(transferId)) throw new NotFoundError(`no transfer ${transferId}`);
  return attempt(`append ${eventType} to transfer ${transferId}`, async () => {
    const [row] = await db
      .insert(transferEventsTable)
      .values({ transferId, eventType, eventData })
      .returning();
    return row!;
  });
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
 * The transfer logged under an idempotency key, or undefined.
 *
 * @example
 * ```ts
 * const earlier = await getTransferByKey(db, key);
 * if (earlier?.response) return earlier.response;
 * ```
 */
export async function getTransferByKey(db: Db, idempotencyKey: string): Promise<Transfer | undefined> {
  return attempt(`get transfer by key ${idempotencyKey}`, async () => {
    const [row] = await db
      .select()
      .from(transfersTable)
      .where(eq(transfersTable.idempotencyKey, idempotencyKey));
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
