/**
 * @module
 * Statements that coalesce concurrent calls (see `src/batch`): while one batch of a statement
 * is in flight, the calls made meanwhile wait and then go out as one multi-row statement. 16
 * transfers at once cost PostgreSQL one statement a step instead of sixteen. A batcher belongs
 * to one database handle (a transaction gets its own, never mixing its rows with others').
 */
import { type Batcher, createBatcher } from '../batch/index.ts';
import type { Db } from './db.ts';

const made = new WeakMap<Db, Map<string, Batcher<unknown, unknown>>>();

/**
 * The batcher `key` of `db`, made with `run` on first use.
 *
 * @example
 * ```ts
 * const settle = batchedOnce(db, 'settle', (items: Settle[]) => settleMany(db, items));
 * const row = await settle(item);
 * ```
 */
export function batchedOnce<I, O>(db: Db, key: string, run: (items: I[]) => Promise<O[]>): Batcher<I, O> {
  let batchers = made.get(db);
  if (!batchers) {
    batchers = new Map();
    made.set(db, batchers);
  }
  let batcher = batchers.get(key) as Batcher<I, O> | undefined;
  if (!batcher) {
    batcher = createBatcher({ run });
    batchers.set(key, batcher as Batcher<unknown, unknown>);
  }
  return batcher;
}
