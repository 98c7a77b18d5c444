/**
 * @module
 * The 2PC coordinator's log: `transfers` (one row per transfer, idempotency keys unique per user) and
 * `transfer_events` (append-only). Each step changes the status and appends its events in one
 * statement (data-modifying CTEs), so the log never says a step happened without its event or
 * the reverse. Concurrent steps share that statement: calls made together, or while a batch is
 * in flight, go to PostgreSQL as one prepared statement (`transfer-batches.ts`, `batched.ts`),
 * so 16 transfers at once cost the database one statement per step, not 16. Reads are in
 * `transfer-reads.ts`.
 */
import { batchedOnce, orThrow, runInTurns } from './batched.ts';
import type { Db } from './db.ts';
import { attempt, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import { type Transfer, type TransferEvent, type TransferStatus, transferEventsTable } from './schema.ts';
import {
  type CreatedTransfer,
  type CreateTransfer,
  createTransfers,
  type LoggedEvent,
  type StatusUpdate,
  senderKey,
  setTransferStatuses,
  type TransferInsert,
  type TransferOutcome,
} from './transfer-batches.ts';

export type { CreatedTransfer, CreateTransfer, LoggedEvent } from './transfer-batches.ts';

/** A status change, with the fields the step learned and the data of its event. */
export interface StatusChange extends TransferOutcome {
  transferId: string;
  status: TransferStatus;
  /** Statuses the change is allowed from; the unfinished ones (`initiated`, `prepared`) by default. */
  expected?: readonly TransferStatus[];
  eventData?: Record<string, unknown>;
  /** Events of steps logged together with this change, appended before its own event, in order. */
  after?: readonly LoggedEvent[];
}

const UNFINISHED: readonly TransferStatus[] = ['initiated', 'prepared'];

/** Creates of `db` in flight together: one statement a batch; calls with one user's key go in turn. */
function createBatched(db: Db) {
  return batchedOnce(
    db,
    'create_transfers',
    runInTurns({
      keyOf: (t: TransferInsert) => senderKey(t),
      run: (items) => createTransfers(db, items),
    }),
  );
}

/** Status changes of `db` in flight together: one statement a batch; one transfer's go in turn. */
function statusBatched(db: Db) {
  return batchedOnce(
    db,
    'set_transfer_statuses',
    runInTurns({ keyOf: (c: StatusUpdate) => c.transferId, run: (items) => setTransferStatuses(db, items) }),
  );
}

/**
 * Logs a new transfer and its `initiated` event, or, when `requestedBy` already used the
 * idempotency key, returns the transfer logged under it (`created: false`); concurrent calls with
 * one user's key yield one transfer. Another user's key of the same text is another key. Comparing `requestHash` to tell a retry from a reused key is the caller's job.
 *
 * @example
 * ```ts
 * const { transfer, created } = await createTransfer(db, { idempotencyKey, requestedBy: 'alice', requestHash,
 *   sourceTankId, destTankId, sourceServer: 'srv-1', destServer: 'srv-2', entityId: 42 });
 * if (!created && transfer.requestHash !== requestHash) throw new ApiError('idempotency_mismatch', key);
 * ```
 */
export async function createTransfer(
  db: Db,
  { eventData = {}, ...transfer }: CreateTransfer,
): Promise<CreatedTransfer> {
  return attempt(`create transfer ${transfer.idempotencyKey}`, () =>
    orThrow(createBatched(db)({ ...transfer, eventData })),
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
  const { transferId, status, expected = UNFINISHED, eventData = {}, after = [], ...fields } = change;
  if (!isUuid(transferId)) throw new NotFoundError(`no transfer ${transferId}`);
  const sets = (Object.keys(fields) as Array<keyof TransferOutcome>).filter((c) => fields[c] !== undefined);
  const events = [...after, { eventType: status, eventData }].map((e) => ({
    eventType: e.eventType,
    eventData: e.eventData ?? {},
  }));
  return attempt(`set transfer ${transferId} ${status}`, () =>
    orThrow(statusBatched(db)({ ...fields, transferId, status, expected, sets, events })),
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
