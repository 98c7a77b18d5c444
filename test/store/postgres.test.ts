import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocation,
  createStore,
  createTank,
  getServer,
  listServers,
  moveTank,
  type Store,
  StoreError,
  saveSnapshots,
} from '../../src/store/index.ts';
import { rowsOf } from './fixtures.ts';
import { storeContract } from './store.case.ts';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl)
  throw new Error('DATABASE_URL is not set: the PostgreSQL store is tested against a real server');

/** Databases this file created, dropped at the end. */
const created: string[] = [];
const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });

/** The URL of a new, empty database on the test server. */
async function freshDatabase(): Promise<string> {
  const name = `store_${randomUUID().replaceAll('-', '')}`;
  await admin.unsafe(`create database "${name}"`);
  created.push(name);
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

afterAll(async () => {
  for (const name of created) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
});

describe('PostgreSQL store', () => {
  storeContract(async () => createStore({ databaseUrl: await freshDatabase() }));
});

describe('PostgreSQL store, concurrency and failures', () => {
  let store: Store;
  let url: string;

  beforeAll(async () => {
    url = await freshDatabase();
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
    let save: Promise<Awaited<ReturnType<typeof saveSnapshots>>> | undefined;
    await store.db.transaction(async (tx) => {
      await moveTank(tx, { tankId: tank.tankId, toServerId: 'b', expectedEpoch: 1 });
      save = saveSnapshots(store.db, [{ tankId: tank.tankId, serverId: 'a', epoch: 1, frame: 9, state: {} }]);
      await waitForLockWait(url);
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
      expect(err).toMatchObject({ code: 'unavailable' });
      expect((err as Error).cause).toBeDefined();
    } finally {
      await Promise.all([down.close(), down.close()]);
    }
  });
});

/** Resolves once some session on the database waits for a lock (the blocked snapshot write). */
async function waitForLockWait(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  for (let i = 0; i < 200; i++) {
    const [row] =
      await admin`select count(*)::int as n from pg_stat_activity where datname = ${name} and wait_event_type = 'Lock'`;
    if (row?.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session started waiting for a lock');
}
