/**
 * @module
 * The store contract, run against both drivers (`pglite.test.ts`, `postgres.test.ts`) so the
 * embedded default cannot drift from PostgreSQL. One store per file (PGlite is heavy); tests
 * stay apart by using fresh ids, never by truncating.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { connectionCases } from './cases/connections.ts';
import { serverCases } from './cases/servers.ts';
import { snapshotCases } from './cases/snapshots.ts';
import { tankCases } from './cases/tanks.ts';
import { transferBatchCases } from './cases/transfer-batches.ts';
import { transferCases } from './cases/transfers.ts';
import { rowsOf, type StoreFixture } from './fixtures.ts';

/** Makes a store on an empty database; the contract migrates it and closes it. */
export type MakeStore = () => Promise<Store>;

export function storeContract(makeStore: MakeStore): void {
  describe('Store contract', () => {
    const fixture = {} as StoreFixture;

    beforeAll(async () => {
      fixture.store = await makeStore();
      await fixture.store.migrate();
      fixture.db = fixture.store.db;
    });

    afterAll(async () => {
      await fixture.store?.close();
    });

    describe('migrations', () => {
      it('should apply each migration once, however often migrate runs', async () => {
        const journal = JSON.parse(readFileSync('drizzle/meta/_journal.json', 'utf8')) as {
          entries: unknown[];
        };
        await fixture.store.migrate();
        await Promise.all([fixture.store.migrate(), fixture.store.migrate()]);
        const applied = rowsOf(await fixture.db.execute('select hash from drizzle.__drizzle_migrations'));
        expect(applied).toHaveLength(journal.entries.length);
      });

      it('should create every table', async () => {
        const tables = rowsOf<{ table_name: string }>(
          await fixture.db.execute(
            "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
          ),
        );
        expect(tables.map((t) => t.table_name)).toEqual([
          'servers',
          'tank_connections',
          'tank_locations',
          'tank_permissions',
          'tank_snapshots',
          'tanks',
          'transfer_events',
          'transfer_reservations',
          'transfers',
        ]);
      });
    });

    serverCases(fixture);
    connectionCases(fixture);
    tankCases(fixture);
    snapshotCases(fixture);
    transferCases(fixture);
    transferBatchCases(fixture);
  });
}
