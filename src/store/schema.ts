/**
 * @module
 * Every table of Tank World Net in one file: camelCase keys in code, snake_case names in SQL, row
 * types inferred from the tables. `drizzle-kit generate` turns this file into `drizzle/*.sql`, the
 * one migration set that PostgreSQL and PGlite both run.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Millisecond timestamps with a time zone. Precision 3 matches a JS `Date`, so a value read back
 * equals the value written and can serve as a pagination cursor.
 */
function at(name: string) {
  return timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
}

/** The SQL list `('a', 'b')` for a check constraint over a closed set of strings. */
function oneOf(values: readonly string[]) {
  return sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);
}

/** What a server reports as its status in the `servers` table. */
export const SERVER_STATUSES = ['online', 'degraded', 'offline'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/** Permission levels, weakest first: each level includes the ones before it. */
export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

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
 * A server's load as its heartbeat last reported it (the heartbeat body: `tank_count`,
 * `cpu_percent`, `memory_mb`, …), stored as received. The live view is in `src/realtime`; this
 * copy serves the gateway when Redis is out of reach.
 */
export type StoredLoad = { [metric: string]: number | string | boolean | null };

/** Tank servers as discovery last saw them; the gateway falls back on this table when Consul is down. */
export const serversTable = pgTable(
  'servers',
  {
    serverId: text('server_id').primaryKey(),
    hostname: text('hostname').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    region: text('region'),
    zone: text('zone'),
    version: text('version').notNull(),
    status: text('status').$type<ServerStatus>().notNull().default('online'),
    publicUrl: text('public_url'),
    wsUrl: text('ws_url'),
    load: jsonb('load').$type<StoredLoad>().notNull().default({}),
    lastSeen: at('last_seen').notNull().defaultNow(),
    registeredAt: at('registered_at').notNull().defaultNow(),
  },
  (t) => [check('servers_status_check', sql`${t.status} in ${oneOf(SERVER_STATUSES)}`)],
);

/** Tank metadata and ownership; where a tank runs is in `tank_locations`. */
export const tanksTable = pgTable(
  'tanks',
  {
    tankId: uuid('tank_id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** User id of the creator; null for tanks the system made (the dev default tank). */
    owner: text('owner'),
    isPublic: boolean('is_public').notNull().default(true),
    allowTransfers: boolean('allow_transfers').notNull().default(true),
    /** The world's RNG seed; a 32-bit unsigned value does not fit `integer`. */
    seed: bigint('seed', { mode: 'number' }),
    createdAt: at('created_at').notNull().defaultNow(),
    /**
     * Fish in the tank and its highest generation, as its server last wrote them (the
     * heartbeat, when they changed; `src/store/tank-stats.ts`): what search filters and sorts
     * on. The live figures are in real-time state.
     */
    fishCount: integer('fish_count').notNull().default(0),
    generation: integer('generation').notNull().default(0),
  },
  (t) => [
    // The per-user tank quota counts an owner's tanks at every create.
    index('tanks_owner_idx').on(t.owner),
    // Search (`listTanks`): each sort is keyset-paged on (key, tank_id).
    index('tanks_created_idx').on(t.createdAt, t.tankId),
    index('tanks_name_idx').on(t.name, t.tankId),
    index('tanks_fish_count_idx').on(t.fishCount, t.tankId),
    index('tanks_generation_idx').on(t.generation, t.tankId),
    index('tanks_name_words_idx').using('gin', sql`to_tsvector('simple', ${t.name})`),
  ],
);

/**
 * Which server runs a tank. `epoch` grows by one on every move: a server may write for a tank
 * only while this row names it with the epoch it was given (fencing). No foreign key to `servers`:
 * in the embedded mode servers need not be registered in the table.
 */
export const tankLocationsTable = pgTable(
  'tank_locations',
  {
    tankId: uuid('tank_id')
      .primaryKey()
      .references(() => tanksTable.tankId, { onDelete: 'cascade' }),
    serverId: text('server_id').notNull(),
    epoch: integer('epoch').notNull().default(1),
    createdAt: at('created_at').notNull().defaultNow(),
    migratedAt: at('migrated_at'),
  },
  (t) => [index('tank_locations_server_id_idx').on(t.serverId)],
);

/** Full tank states; a tank restarts or fails over from its newest one. */
export const tankSnapshotsTable = pgTable(
  'tank_snapshots',
  {
    snapshotId: uuid('snapshot_id').primaryKey().defaultRandom(),
    tankId: uuid('tank_id')
      .notNull()
      .references(() => tanksTable.tankId, { onDelete: 'cascade' }),
    serverId: text('server_id').notNull(),
    epoch: integer('epoch').notNull(),
    frame: bigint('frame', { mode: 'number' }).notNull(),
    /** The snapshot codec's output; readers validate it, the store does not look inside. */
    state: jsonb('state').$type<unknown>().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('tank_snapshots_tank_id_created_at_idx').on(t.tankId, t.createdAt.desc().nullsFirst())],
);

/**
 * Who may do what on a tank. Keyed on (tank, user), not (tank, user, permission): a user
 * holds one level per tank (admin includes write includes read), so the key is (tank, user) and
 * granting a new level replaces the old one instead of piling up rows.
 */
export const tankPermissionsTable = pgTable(
  'tank_permissions',
  {
    tankId: uuid('tank_id')
      .notNull()
      .references(() => tanksTable.tankId, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    permission: text('permission').$type<Permission>().notNull(),
    grantedAt: at('granted_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tankId, t.userId] }),
    check('tank_permissions_permission_check', sql`${t.permission} in ${oneOf(PERMISSIONS)}`),
  ],
);

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

/** An edge of a tank where a tube opens. */
export const MOUTHS = ['left', 'right', 'top', 'bottom'] as const;
export type Mouth = (typeof MOUTHS)[number];

/** `one_way`: fish go from source to dest only; `both`: either way. */
export const TUBE_DIRECTIONS = ['one_way', 'both'] as const;
export type TubeDirection = (typeof TUBE_DIRECTIONS)[number];

/**
 * Tubes between tanks: a fish that swims into the source's mouth may come out of the dest's
 * (and back, for `both`). Gone with either tank (cascade). One tube per ordered pair, none from a
 * tank to itself; `rate_per_minute` bounds how many fish the tube carries (src/tubes).
 */
export const tankConnectionsTable = pgTable(
  'tank_connections',
  {
    connectionId: uuid('connection_id').primaryKey().defaultRandom(),
    sourceTankId: uuid('source_tank_id')
      .notNull()
      .references(() => tanksTable.tankId, { onDelete: 'cascade' }),
    destTankId: uuid('dest_tank_id')
      .notNull()
      .references(() => tanksTable.tankId, { onDelete: 'cascade' }),
    sourceMouth: text('source_mouth').$type<Mouth>().notNull(),
    destMouth: text('dest_mouth').$type<Mouth>().notNull(),
    direction: text('direction').$type<TubeDirection>().notNull().default('one_way'),
    ratePerMinute: integer('rate_per_minute').notNull().default(60),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('tank_connections_pair_unique').on(t.sourceTankId, t.destTankId),
    index('tank_connections_dest_idx').on(t.destTankId),
    // The network-wide list is keyset-paged on (created_at, connection_id).
    index('tank_connections_created_idx').on(t.createdAt, t.connectionId),
    check('tank_connections_no_loop', sql`${t.sourceTankId} <> ${t.destTankId}`),
    check('tank_connections_source_mouth_check', sql`${t.sourceMouth} in ${oneOf(MOUTHS)}`),
    check('tank_connections_dest_mouth_check', sql`${t.destMouth} in ${oneOf(MOUTHS)}`),
    check('tank_connections_direction_check', sql`${t.direction} in ${oneOf(TUBE_DIRECTIONS)}`),
    check('tank_connections_rate_check', sql`${t.ratePerMinute} between 1 and 600`),
  ],
);

export type Server = typeof serversTable.$inferSelect;
export type NewServer = typeof serversTable.$inferInsert;
/** A row of `tanks`; named apart from `src/tank`'s `Tank`, the running simulation. */
export type TankRow = typeof tanksTable.$inferSelect;
export type NewTank = typeof tanksTable.$inferInsert;
export type TankLocation = typeof tankLocationsTable.$inferSelect;
export type TankSnapshot = typeof tankSnapshotsTable.$inferSelect;
/** A snapshot's metadata: everything but the state. */
export type SnapshotMeta = Omit<TankSnapshot, 'state'>;
export type TankPermission = typeof tankPermissionsTable.$inferSelect;
export type Transfer = typeof transfersTable.$inferSelect;
export type NewTransfer = typeof transfersTable.$inferInsert;
export type TransferEvent = typeof transferEventsTable.$inferSelect;
export type TransferReservation = typeof transferReservationsTable.$inferSelect;
export type NewTransferReservation = typeof transferReservationsTable.$inferInsert;
export type TankConnection = typeof tankConnectionsTable.$inferSelect;
export type NewTankConnection = typeof tankConnectionsTable.$inferInsert;
