/**
 * @module
 * The 2PC coordinator's log: `transfers` (one row per transfer, unique idempotency key) and
 * `transfer_events` (append-only). Each step changes the status and appends its events in one
 * statement (data-modifying CTEs), so the log never says a step happened without its event or
 * the reverse, and a step costs the coordinator one round trip to PostgreSQL: the statements are
 * built once and run prepared (`prepared.ts`). Reads are in `transfer-reads.ts`.
 */
import { and, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { WithSubqueryWithSelection } from 'drizzle-orm/pg-core';
import type { Db } from './db.ts';
import { attempt, ConflictError, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import { preparedOnce } from './prepared.ts';
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
  /** Events of steps logged together with this change, appended before its own event, in order. */
  after?: readonly LoggedEvent[];
}

/** An event to append: a step's name and what it learned. */
export interface LoggedEvent {
  eventType: string;
  eventData?: Record<string, unknown>;
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
  return attempt(`create transfer ${transfer.idempotencyKey}`, async () => {
    // ON CONFLICT DO NOTHING: a concurrent insert of the same key makes this one wait for it to
    // commit, then do nothing (and log no event); the select below then sees its row.
    const columns = Object.keys(transfer).sort() as Array<keyof typeof transfer>;
    const [row] = await preparedOnce(db, `create_transfer:${columns}`, () => {
      const values = Object.fromEntries(columns.map((c) => [c, sql.placeholder(c)]));
      const inserted = db.$with('inserted').as(
        db
          .insert(transfersTable)
          .values({ ...(values as unknown as NewTransfer), status: 'initiated' })
          .onConflictDoNothing({ target: transfersTable.idempotencyKey })
          .returning(),
      );
      const logged = appendFrom(db, inserted, 1);
      return db.with(inserted, logged).select().from(inserted).prepare('create_transfer');
    }).execute({ ...transfer, ...eventValues([{ eventType: 'initiated', eventData }]) });
    if (row) return { transfer: row, created: true };
    const [existing] = await db
      .select()
      .from(transfersTable)
      .where(eq(transfersTable.idempotencyKey, transfer.idempotencyKey));
    if (!existing)
      throw new ConflictError(
        `idempotency key ${transfer.idempotencyKey} is taken by an uncommitted transfer`,
      );
    return { transfer: existing, created: false };
  });
}

/**
 * A CTE appending `count` events (placeholders `event_type_<i>`, `event_data_<i>`, in order) to
 * every transfer `source` returns; nothing when it returns no row, so the events go in only with
 * the change they describe.
 */
function appendFrom(
  db: Db,
  source: WithSubqueryWithSelection<(typeof transfersTable)['_']['columns'], string>,
  count: number,
) {
  const list: SQL[] = Array.from(
    { length: count },
    (_, i) =>
      sql`(${sql.placeholder(`event_type_${i}`)}::text, ${sql.placeholder(`event_data_${i}`)}::jsonb)`,
  );
  return db.$with('logged').as(
    db
      .insert(transferEventsTable)
      .select((qb) =>
        qb
          .select({
            // Rows come out of VALUES in their order, so event ids follow the list.
            eventId: sql<number>`nextval(pg_get_serial_sequence('transfer_events', 'event_id'))`.as(
              'event_id',
            ),
            transferId: source.transferId,
            eventType: sql<string>`ev.type`.as('event_type'),
            eventData: sql<Record<string, unknown>>`ev.data`.as('event_data'),
            createdAt: sql<Date>`now()`.as('created_at'),
          })
          .from(source)
          .crossJoin(sql`(values ${sql.join(list, sql`, `)}) as ev(type, data)`),
      )
      .returning({ eventId: transferEventsTable.eventId }),
  );
}

/** The placeholder values of {@link appendFrom} for `events`. */
function eventValues(events: readonly LoggedEvent[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  events.forEach((e, i) => {
    values[`event_type_${i}`] = e.eventType;
    values[`event_data_${i}`] = JSON.stringify(e.eventData ?? {});
  });
  return values;
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
  return attempt(`set transfer ${transferId} ${status}`, async () => {
    const events = [...after, { eventType: status, eventData }];
    const columns = (Object.keys(fields) as Array<keyof typeof fields>)
      .filter((c) => fields[c] !== undefined)
      .sort();
    const key = `set_transfer_status:${columns}:${expected}:${events.length}`;
    const [row] = await preparedOnce(db, key, () => {
      const values = Object.fromEntries(columns.map((c) => [c, sql.placeholder(c)]));
      const changed = db.$with('changed').as(
        db
          .update(transfersTable)
          .set({ ...values, status: sql`${sql.placeholder('status')}`, updatedAt: sql`now()` })
          .where(
            and(
              eq(transfersTable.transferId, sql.placeholder('transferId')),
              inArray(transfersTable.status, [...expected]),
              ne(transfersTable.status, sql.placeholder('status')),
            ),
          )
          .returning(),
      );
      const logged = appendFrom(db, changed, events.length);
      return db.with(changed, logged).select().from(changed).prepare('set_transfer_status');
    }).execute({ ...fields, transferId, status, ...eventValues(events) });
    if (row) return row;
    const [current] = await db.select().from(transfersTable).where(eq(transfersTable.transferId, transferId));
    if (!current) throw new NotFoundError(`no transfer ${transferId}`);
    if (current.status === status) return current;
    throw new ConflictError(`transfer ${transferId} is ${current.status}; cannot become ${status}`);
  });
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
