/**
 * @module
 * The one database type every query function takes, whichever driver is behind it.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

export type Schema = typeof schema;

/**
 * A Drizzle database on postgres.js or PGlite, or a transaction of one (`PgTransaction` extends
 * `PgDatabase`), so `tx` from `db.transaction(async (tx) => …)` goes wherever `db` does. Only the
 * query builder is portable: the drivers return different shapes from `db.execute`.
 *
 * @example
 * ```ts
 * await store.db.transaction(async (tx) => {
 *   const epoch = await moveTank(tx, { tankId, toServerId: 'b', expectedEpoch: 1 });
 *   await appendTransferEvent(tx, { transferId, eventType: 'moved', eventData: { epoch } });
 * });
 * ```
 */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
