/**
 * @module
 * Statements that coalesce concurrent calls (see `src/batch`): while one batch of a statement
 * is in flight, the calls made meanwhile wait and then go out as one multi-row statement. 16
 * transfers at once cost PostgreSQL one statement a step instead of sixteen. A batcher belongs
 * to one database handle (a transaction gets its own, never mixing its rows with others').
 */
import { type Batcher, createBatcher } from '../batch/index.ts';
import type { Db } from './db.ts';
import { sqlState } from './errors.ts';

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

export interface InTurnsOptions<I, O> {
  /** The row an item writes: items of one key never share a statement. */
  keyOf(item: I): string;
  /**
   * Runs items of distinct keys as one statement. One result per item, in order: a value, or
   * the `Error` that item alone fails with. A rejection fails every item.
   */
  run(items: I[]): Promise<Array<O | Error>>;
}

/**
 * A batch `run` for {@link batchedOnce} whose items each keep the meaning they have alone. An
 * item whose key is already in the batch goes in a later statement, as if called after the
 * earlier one returned, so a statement never writes one row twice. A batch of several that
 * fails with an error one item can cause (bad data, a broken constraint, a deadlock with
 * another process's batch) runs again one item at a time, so only the item at fault fails.
 *
 * @example
 * ```ts
 * const put = batchedOnce(db, 'put_rows', runInTurns({ keyOf: (r: Row) => r.id, run: (rows) => putMany(db, rows) }));
 * const row = await orThrow(put(item));
 * ```
 */
export function runInTurns<I, O>({
  keyOf,
  run,
}: InTurnsOptions<I, O>): (items: I[]) => Promise<Array<O | Error>> {
  async function runOrSplit(items: I[]): Promise<Array<O | Error>> {
    try {
      return await run(items);
    } catch (err) {
      if (items.length === 1 || !itemMayCause(err)) throw err;
      const results: Array<O | Error> = [];
      for (const item of items) {
        try {
          results.push(...(await run([item])));
        } catch (e) {
          results.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return results;
    }
  }

  return async function inTurns(items) {
    // The n-th item of a key goes in turn n; turns run one after another.
    const turns: number[][] = [];
    const seen = new Map<string, number>();
    for (const [i, item] of items.entries()) {
      const key = keyOf(item);
      const turn = seen.get(key) ?? 0;
      seen.set(key, turn + 1);
      if (turn === turns.length) turns.push([]);
      turns[turn]!.push(i);
    }
    const results = new Array<O | Error>(items.length);
    for (const turn of turns) {
      const answers = await runOrSplit(turn.map((i) => items[i] as I));
      for (const [j, i] of turn.entries()) results[i] = answers[j] as O | Error;
    }
    return results;
  };
}

/**
 * The value of a batched call whose per-item failures are `Error` values, or that error thrown.
 *
 * @example
 * ```ts
 * const transfer = await orThrow(statusBatched(db)(change));
 * ```
 */
export async function orThrow<O>(answer: Promise<O | Error>): Promise<O> {
  const value = await answer;
  if (value instanceof Error) throw value;
  return value;
}

/** Data exceptions (22), constraint violations (23) and deadlocks: errors of some rows, not all. */
function itemMayCause(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23') || state === '40P01');
}
