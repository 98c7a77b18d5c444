/**
 * @module
 * Every table of Tank World Net: camelCase keys in code, snake_case names in SQL, row types
 * inferred from the tables. `drizzle-kit generate` turns this file (with the transfer tables it
 * re-exports from `schema-transfers.ts`) into `drizzle/*.sql`, the one migration set that
 * PostgreSQL and PGlite both run.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { at, oneOf } from './schema-columns.ts';

export * from './schema-transfers.ts';

/** What a server reports as its status in the `servers` table. */
export const SERVER_STATUSES = ['online', 'degraded', 'offline'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/** Permission levels, weakest first: each level includes the ones before it. */
export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

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
export type TankConnection = typeof tankConnectionsTable.$inferSelect;
export type NewTankConnection = typeof tankConnectionsTable.$inferInsert;
