/**
 * @module
 * What the store contract's parts share: the store under test, fresh ids, and a raw-result reader.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createTank, type Db, type NewTank, type Store, type TankRow } from '../../src/store/index.ts';

/** Filled in by the contract's `beforeAll`; read it inside tests only. */
export interface StoreFixture {
  store: Store;
  db: Db;
}

/** A server id no other test uses. */
export function serverId(label = 'srv'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A tank with a fresh id. */
export function newTank(fixture: StoreFixture, fields: Partial<NewTank> = {}): Promise<TankRow> {
  return createTank(fixture.db, { tankId: randomUUID(), name: 'Reef', owner: 'alice', seed: 7, ...fields });
}

/** Rows of a raw `db.execute` result: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Any timestamp: rows are compared whole, times by type. */
export const anyDate = expect.any(Date) as unknown as Date;

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
