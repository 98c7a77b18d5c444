import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocation,
  createStore,
  createTank,
  getServer,
  listServers,
  moveTank,
  type SaveResult,
  type Store,
  StoreError,
  saveSnapshots,
} from '../../src/store/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { rowsOf } from './fixtures.ts';
import { storeContract } from './store.case.ts';

// Each store here gets a database of its own on the harness's PostgreSQL (or DATABASE_URL's).
const cleanup = useCleanup();

describe('PostgreSQL store', () => {
  storeContract(async () => createStore({ databaseUrl: (await useDatabase({ cleanup })).url }));
});

describe('PostgreSQL store, concurrency and failures', () => {
  let store: Store;
  let url: string;

  beforeAll(async () => {
    url = (await useDatabase({ cleanup })).url;
    store = createStore({ databaseUrl: url });
  });

  afterAll(async () => {
    await store.close();
  });

  it('should migrate once when several processes start at once', async () => {
    const others = [1, 2, 3].map(() => createStore({ databaseUrl: url }));
    try {
      await Promise.all([store.migrate(), ...others.map((s) => s.migrate())]);
      expect(await listServers(store.db)).toEqual([]);
      const journal = JSON.parse(readFileSync('drizzle/meta/_journal.json', 'utf8')) as {
        entries: unknown[];
      };
      const applied = rowsOf(await store.db.execute('select hash from drizzle.__drizzle_migrations'));
      expect(applied).toHaveLength(journal.entries.length);
    } finally {
      await Promise.all(others.map((s) => s.close()));
    }
  });

  it('should hold a snapshot write until a concurrent move commits, then fence it', async () => {
    const tank = await createTank(store.db, { name: 'raced' });
    await createLocation(store.db, { tankId: tank.tankId, serverId: 'a' });
    let save: Promise<SaveResult> | undefined;
    await store.db.transaction(async (tx) => {
      await moveTank(tx, { tankId: tank.tankId, toServerId: 'b', expectedEpoch: 1 });
      save = saveSnapshots(store.db, [{ tankId: tank.tankId, serverId: 'a', epoch: 1, frame: 9, state: {} }]);
      // The write must be blocked on the location row this transaction moved, not done already.
      await waitFor(
        async () => {
          const [row] = rowsOf<{ n: number }>(
            await store.db.execute(
              sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            ),
          );
          return row!.n > 0;
        },
        { what: 'the snapshot write to wait for the moving transaction', timeout: 10_000, interval: 20 },
      );
    });
    expect(await save).toEqual({ saved: [], fenced: [tank.tankId] });
  });

  it('should report an unreachable database as unavailable, with the driver error as cause', async () => {
    const down = createStore({ databaseUrl: 'postgres://tankworld@127.0.0.1:1/none' });
    try {
      const err = await getServer(down.db, 'x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'store_unavailable' });
      expect((err as Error).cause).toBeDefined();
    } finally {
      await Promise.all([down.close(), down.close()]);
    }
  });
});
