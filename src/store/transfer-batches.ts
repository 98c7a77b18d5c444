/**
 * @module
 * The coordinator log's writes for a batch of calls, one statement each (data-modifying CTEs):
 * new transfers with their `initiated` events, and status changes with their events. Every row
 * travels in one json parameter, expanded by `json_to_recordset`, so one prepared statement
 * serves any batch, whatever columns and how many events each item carries. Rows the statement
 * did not write are read back afterwards in one query: under READ COMMITTED the statement's own
 * snapshot may predate the concurrent write that stopped it. Per-item outcomes are values, so a
 * conflict fails its own call only (see `batched.ts`).
 */
import { getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { preparedOnce } from './prepared.ts';
import { type NewTransfer, type Transfer, type TransferStatus, transfersTable } from './schema.ts';

/** A new transfer; it starts `initiated`, with an `initiated` event carrying `eventData`. */
export type CreateTransfer = Omit<
  NewTransfer,
  'status' | 'createdAt' | 'updatedAt' | 'response' | 'error'
> & {
  eventData?: Record<string, unknown>;
};

export interface CreatedTransfer {
  transfer: Transfer;
  /** False when a transfer with this user's idempotency key already existed and is returned instead. */
  created: boolean;
}

/** An event to append: a step's name and what it learned. */
export interface LoggedEvent {
  eventType: string;
  eventData?: Record<string, unknown>;
}

const TRANSFER = getTableColumns(transfersTable);

/** The rows of one batch as the statement's only parameter: each with `i`, its place in the batch. */
function itemsJson(items: readonly object[]): string {
  return JSON.stringify(items.map((item, i) => ({ ...item, i })));
}

/** A new transfer and the data of its `initiated` event. */
export type TransferInsert = Omit<CreateTransfer, 'eventData'> & { eventData: Record<string, unknown> };

function createStatement(db: Db) {
  const v = db.$with('v', {}).as(
    sql`select * from json_to_recordset(${sql.placeholder('items')}::json) as v(i int, "transferId" uuid,
      "idempotencyKey" text, "requestedBy" text, "requestHash" text, "sourceTankId" uuid, "destTankId" uuid,
      "sourceServer" text, "destServer" text, "entityId" bigint, "entityUid" text, "entityPayload" jsonb,
      "oldId" bigint, "newId" bigint, "eventData" jsonb)`,
  );
  // In key order, so two processes' batches wait for each other's keys in one order (no deadlock).
  const inserted = db.$with('inserted', TRANSFER).as(
    sql`insert into transfers (transfer_id, idempotency_key, requested_by, request_hash, source_tank_id,
        dest_tank_id, source_server, dest_server, entity_id, entity_uid, entity_payload, old_id, new_id, status)
      select coalesce("transferId", gen_random_uuid()), "idempotencyKey", "requestedBy", "requestHash",
        "sourceTankId", "destTankId", "sourceServer", "destServer", "entityId", "entityUid", "entityPayload",
        "oldId", "newId", 'initiated'
      from v order by "idempotencyKey", "requestedBy"
      on conflict (idempotency_key, requested_by) do nothing
      returning *`,
  );
  // Rows come out in batch order and take event ids from the column's sequence as they go in.
  const logged = db.$with('logged', {}).as(
    sql`insert into transfer_events (transfer_id, event_type, event_data)
      select inserted.transfer_id, 'initiated', v."eventData"
      from inserted join v
        on v."idempotencyKey" = inserted.idempotency_key and v."requestedBy" = inserted.requested_by
      order by v.i`,
  );
  return db.with(v, inserted, logged).select().from(inserted).prepare('create_transfers');
}

/** A key and its user as one string, for maps (JSON: neither part can fake the separator). */
export function senderKey(t: { idempotencyKey: string; requestedBy: string }): string {
  return JSON.stringify([t.requestedBy, t.idempotencyKey]);
}

/**
 * Inserts the transfers of keys not taken (each user's keys are distinct within `items`) and
 * returns each item's transfer, `created` or found.
 */
export async function createTransfers(
  db: Db,
  items: TransferInsert[],
): Promise<Array<CreatedTransfer | Error>> {
  // ON CONFLICT DO NOTHING: an insert racing a concurrent one of the same key waits for it to
  // commit, then does nothing (and logs no event); the read below then sees its row.
  const rows = await preparedOnce(db, 'create_transfers', () => createStatement(db)).execute({
    items: itemsJson(items),
  });
  const created = new Map(rows.map((row) => [senderKey(row), row]));
  const taken = items.filter((t) => !created.has(senderKey(t))).map((t) => t.idempotencyKey);
  const found = new Map<string, Transfer>();
  if (taken.length > 0) {
    // By key (the unique index's leading column); other users' rows with the key are skipped below.
    const existing = await db
      .select()
      .from(transfersTable)
      .where(inArray(transfersTable.idempotencyKey, taken));
    for (const row of existing) found.set(senderKey(row), row);
  }
  return items.map((item) => {
    const row = created.get(senderKey(item));
    if (row) return { transfer: row, created: true };
    const existing = found.get(senderKey(item));
    if (existing) return { transfer: existing, created: false };
    return new ConflictError(`idempotency key ${item.idempotencyKey} is taken by an uncommitted transfer`);
  });
}

/** The columns a status change may set. */
export interface TransferOutcome {
  entityUid?: string;
  entityPayload?: unknown;
  oldId?: number;
  newId?: number;
  error?: string;
  /** The answer to replay for retries with the same idempotency key. */
  response?: unknown;
}

/** A status change ready to run: `sets` names the outcome columns it writes (the others keep theirs). */
export interface StatusUpdate extends TransferOutcome {
  transferId: string;
  status: TransferStatus;
  expected: readonly TransferStatus[];
  sets: ReadonlyArray<keyof TransferOutcome>;
  events: readonly Required<LoggedEvent>[];
}

/** Sets `column` to the item's value when the item sets it (`null` included), else keeps it. */
function setIfGiven(column: keyof TransferOutcome) {
  const name = sql.raw(TRANSFER[column].name);
  return sql`${name} = case when ${sql.raw(`'${column}'`)} = any(v.sets) then v.${sql.identifier(column)} else t.${name} end`;
}

function statusStatement(db: Db) {
  const v = db.$with('v', {}).as(
    sql`select * from json_to_recordset(${sql.placeholder('items')}::json) as v(i int, "transferId" uuid,
      status text, expected text[], sets text[], "entityUid" text, "entityPayload" jsonb, "oldId" bigint,
      "newId" bigint, error text, response jsonb, events jsonb)`,
  );
  const columns: Array<keyof TransferOutcome> = [
    'entityUid',
    'entityPayload',
    'oldId',
    'newId',
    'error',
    'response',
  ];
  // json_to_recordset is estimated at 100 rows, so a plain join with v would hash the whole
  // table; matching the id list first makes it an index scan.
  const changed = db.$with('changed', TRANSFER).as(
    sql`update transfers t set status = v.status, ${sql.join(columns.map(setIfGiven), sql`, `)}, updated_at = now()
      from v
      where t.transfer_id = any(array(select "transferId" from v)) and t.transfer_id = v."transferId"
        and t.status = any(v.expected) and t.status <> v.status
      returning t.*`,
  );
  // Rows come out in batch order, each item's events in theirs, and take event ids as they go in.
  const logged = db.$with('logged', {}).as(
    sql`insert into transfer_events (transfer_id, event_type, event_data)
      select changed.transfer_id, e.event ->> 'eventType', e.event -> 'eventData'
      from changed join v on v."transferId" = changed.transfer_id,
        jsonb_array_elements(v.events) with ordinality as e(event, n)
      order by v.i, e.n`,
  );
  return db.with(v, changed, logged).select().from(changed).prepare('set_transfer_statuses');
}

/**
 * Applies the status changes (transfer ids are distinct within `items`) and returns each item's
 * transfer, changed or already in that status, or its `ConflictError` / `NotFoundError`.
 */
export async function setTransferStatuses(db: Db, items: StatusUpdate[]): Promise<Array<Transfer | Error>> {
  const rows = await preparedOnce(db, 'set_transfer_statuses', () => statusStatement(db)).execute({
    items: itemsJson(items),
  });
  const changed = new Map(rows.map((row) => [row.transferId, row]));
  const unchanged = items.filter((c) => !changed.has(c.transferId)).map((c) => c.transferId);
  const current = new Map<string, Transfer>();
  if (unchanged.length > 0) {
    const found = await db.select().from(transfersTable).where(inArray(transfersTable.transferId, unchanged));
    for (const row of found) current.set(row.transferId, row);
  }
  return items.map(({ transferId, status }) => {
    const row = changed.get(transferId);
    if (row) return row;
    const now = current.get(transferId);
    if (!now) return new NotFoundError(`no transfer ${transferId}`);
    // Setting the status it already has is a retried step: the row as it is.
    if (now.status === status) return now;
    return new ConflictError(`transfer ${transferId} is ${now.status}; cannot become ${status}`);
  });
}
