/**
 * @module
 * Statements built once per database and run prepared, for the hot paths (every transfer step):
 * drizzle builds a query's SQL text again on every call (measured at ~0.8 ms of CPU a transfer),
 * and postgres.js has PostgreSQL describe every statement that is not prepared before running
 * it (a second round trip). A statement here is built with `sql.placeholder` parameters the
 * first time a database asks for it and then only executed with values.
 */
import type { Db } from './db.ts';

/** A built statement: run it with a value for each of its placeholders. */
export interface Prepared<R> {
  execute(values: Record<string, unknown>): Promise<R>;
}

const built = new WeakMap<Db, Map<string, Prepared<unknown>>>();

/**
 * The statement `key` of `db`, built by `build` on first use.
 *
 * @example
 * ```ts
 * const rows = await preparedOnce(db, 'get_reservation', () =>
 *   db.select().from(t).where(eq(t.transferId, sql.placeholder('transferId'))).prepare('get_reservation'),
 * ).execute({ transferId });
 * ```
 */
export function preparedOnce<R>(db: Db, key: string, build: () => Prepared<R>): Prepared<R> {
  let statements = built.get(db);
  if (!statements) {
    statements = new Map();
    built.set(db, statements);
  }
  let statement = statements.get(key) as Prepared<R> | undefined;
  if (!statement) {
    statement = build();
    statements.set(key, statement as Prepared<unknown>);
  }
  return statement;
}
