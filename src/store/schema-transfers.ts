/**
 * @module
 * The two-phase commit's tables: the coordinator's log (`transfers`), its append-only trail
 * (`transfer_events`) and each participant's side (`transfer_reservations`). Re-exported by
 * `schema.ts`, where drizzle-kit reads every table.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { at, oneOf } from './schema-columns.ts';

/** Lifecycle of a transfer. `committed`, `aborted` and `failed` are final. */
export const TRANSFER_STATUSES = ['initiated', 'prepared', 'committed', 'aborted', 'failed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** Which side of a transfer a participant's reservation is on. */
export const RESERVATION_ROLES = ['source', 'dest'] as const;
export type ReservationRole = (typeof RESERVATION_ROLES)[number];
/**
 * `open`: the transfer is undecided. The others are settled sides kept as the tank's journal
 * until a newer snapshot covers them: `departed` (the held fish left for good), `arrived` (the
 * fish went in), `returned` (an abort put the held fish back).
 */
export const RESERVATION_STATES = ['open', 'departed', 'arrived', 'returned'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

/**
 * The 2PC coordinator's log, one row per transfer. No foreign keys to tanks: the log outlives the
 * tanks it names. `response` keeps the first answer so a retry with the same key gets it again.
 */
export const transfersTable = pgTable(
  'transfers',
  {
    transferId: uuid('transfer_id').primaryKey().defaultRandom(),
    /**
     * A key is its sender's: unique per user (`requested_by`, the token's subject), so another
     * user's retry with the same key gets their own transfer and learns nothing of this one.
     */
    idempotencyKey: text('idempotency_key').notNull(),
    /** The user who asked for the transfer; rows logged before keys were per user have ''. */
    requestedBy: text('requested_by').notNull(),
    /** Hash of the request body: the same key with another body is refused by the coordinator. */
    requestHash: text('request_hash').notNull(),
    sourceTankId: uuid('source_tank_id').notNull(),
    destTankId: uuid('dest_tank_id').notNull(),
    sourceServer: text('source_server').notNull(),
    destServer: text('dest_server').notNull(),
    entityId: bigint('entity_id', { mode: 'number' }).notNull(),
    /** The fish's global uid, known once the source has prepared. */
    entityUid: text('entity_uid'),
    entityPayload: jsonb('entity_payload').$type<unknown>(),
    status: text('status').$type<TransferStatus>().notNull().default('initiated'),
    oldId: bigint('old_id', { mode: 'number' }),
    newId: bigint('new_id', { mode: 'number' }),
    error: text('error'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    response: jsonb('response').$type<unknown>(),
  },
  (t) => [
    // Key first: a lookup by key (and the batch's read-back) uses the index's leading column.
    unique('transfers_idempotency_key_requested_by_unique').on(t.idempotencyKey, t.requestedBy),
    check('transfers_status_check', sql`${t.status} in ${oneOf(TRANSFER_STATUSES)}`),
    index('transfers_source_tank_id_idx').on(t.sourceTankId),
    index('transfers_dest_tank_id_idx').on(t.destTankId),
    // Recovery scans only the unfinished transfers; a partial index keeps that scan small.
    index('transfers_unfinished_idx').on(t.createdAt).where(sql`${t.status} in ('initiated', 'prepared')`),
  ],
);

/**
 * Append-only audit trail of every transfer step. A trigger (migration 0001) refuses UPDATE,
 * DELETE and TRUNCATE, so the history cannot be rewritten even by a buggy caller.
 */
export const transferEventsTable = pgTable(
  'transfer_events',
  {
    eventId: bigserial('event_id', { mode: 'number' }).primaryKey(),
    transferId: uuid('transfer_id')
      .notNull()
      .references(() => transfersTable.transferId),
    /** A transfer status for lifecycle steps, or a free-form step name (e.g. `dest_prepared`). */
    eventType: text('event_type').notNull(),
    eventData: jsonb('event_data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('transfer_events_transfer_id_idx').on(t.transferId, t.eventId)],
);

/**
 * A participant's side of a transfer: the source holds the fish out of its world, the destination
 * holds room for it. Kept in the database so a restarted participant still knows what it holds.
 * Once settled, a side stays as a journal entry of its tank (`state`, at position `seq` of the
 * tank's changes) until a snapshot taken after that change is saved: a restore from an older
 * snapshot replays it, so transfer steps need not write a whole snapshot each.
 */
export const transferReservationsTable = pgTable(
  'transfer_reservations',
  {
    transferId: uuid('transfer_id').notNull(),
    tankId: uuid('tank_id').notNull(),
    serverId: text('server_id').notNull(),
    role: text('role').$type<ReservationRole>().notNull(),
    entityUid: text('entity_uid').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    state: text('state').$type<ReservationState>().notNull().default('open'),
    /** Position of the step's change among its tank's changes (0: no change to the world yet). */
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.transferId, t.role] }),
    check('transfer_reservations_role_check', sql`${t.role} in ${oneOf(RESERVATION_ROLES)}`),
    check('transfer_reservations_state_check', sql`${t.state} in ${oneOf(RESERVATION_STATES)}`),
    index('transfer_reservations_server_id_idx').on(t.serverId),
    index('transfer_reservations_tank_id_idx').on(t.tankId),
  ],
);

export type Transfer = typeof transfersTable.$inferSelect;
export type NewTransfer = typeof transfersTable.$inferInsert;
export type TransferEvent = typeof transferEventsTable.$inferSelect;
export type TransferReservation = typeof transferReservationsTable.$inferSelect;
export type NewTransferReservation = typeof transferReservationsTable.$inferInsert;
