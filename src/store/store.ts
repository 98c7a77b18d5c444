/**
 * @module
 * The store factory: PostgreSQL through postgres.js when a database URL is given, embedded PGlite
 * otherwise, both behind one Drizzle `Db` and one migration set (`drizzle/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Db } from './db.ts';
import { toStoreError } from './errors.ts';
import { makePrivateDir, tightenTree } from './private-dir.ts';
import * as schema from './schema.ts';
import { traceQueries } from './traced-client.ts';

/** The few logger methods the store uses; a pino logger fits. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface StoreOptions {
  /** `postgres://…`: use PostgreSQL. Absent or empty: use PGlite. */
  databaseUrl?: string;
  /** PGlite's data directory; `memory://` keeps the database in memory only. */
  dataDir?: string;
  logger?: StoreLogger;
  /** Most connections postgres.js opens. */
  poolSize?: number;
  /** Where the SQL migrations are; the repository's `drizzle/` by default. */
  migrationsFolder?: string;
  /**
   * A gzipped tarball of a freshly initialised PGlite data directory: a new `dataDir` is
   * unpacked from it (~0.5 s) instead of running initdb (~1.5 s), so a first `npm start` is
   * quick. Made once per PGlite version by `scripts/pglite-template.ts`.
   */
  pgliteTemplate?: string;
}

export interface Store {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** Applies the migrations not yet applied; safe to run again and from several processes. */
  migrate(): Promise<void>;
  /** Ends the connections (or shuts PGlite down). A second call waits on the first. */
  close(): Promise<void>;
}

const DEFAULT_MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Opens the store. Nothing is migrated until `migrate()` is called; postgres.js connects lazily
 * and PGlite starts in the background (2–6 s), so the first query waits for it.
 *
 * @example
 * ```ts
 * const store = createStore({ databaseUrl: process.env.DATABASE_URL, logger });
 * await store.migrate();
 * const tank = await getTank(store.db, tankId);
 * await store.close();
 * ```
 */
export function createStore({
  databaseUrl,
  dataDir = './data/pglite',
  logger,
  poolSize = 10,
  migrationsFolder = DEFAULT_MIGRATIONS,
  pgliteTemplate,
}: StoreOptions = {}): Store {
  return databaseUrl
    ? createPostgresStore({ databaseUrl, logger, poolSize, migrationsFolder })
    : createPgliteStore({ dataDir, logger, migrationsFolder, template: pgliteTemplate });
}

/** Runs `work` once at a time: a call while one is running shares its promise. */
function single(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return function runOnce() {
    running ??= work().finally(() => {
      running = undefined;
    });
    return running;
  };
}

interface PostgresParts {
  databaseUrl: string;
  logger: StoreLogger | undefined;
  poolSize: number;
  migrationsFolder: string;
}

/**
 * Seconds before postgres.js tries a failed connection again: doubling from 50 ms, capped at
 * one second. Its default grows with every failure of any connection of the pool (shared) up
 * to 20 s, and queries queued on a connection wait out its delay: after a few seconds of
 * outage a busy server's queries hung 7 to 16 s past the database's return, long enough for
 * its heartbeat to miss its TTL (test/outage/postgres.test.ts).
 */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1);
}

function createPostgresStore({ databaseUrl, logger, poolSize, migrationsFolder }: PostgresParts): Store {
  const onnotice = (notice: postgres.Notice) => logger?.debug({ notice: notice.message }, 'postgres notice');
  const client = traceQueries(
    postgres(databaseUrl, { max: poolSize, connect_timeout: 10, backoff: reconnectBackoff, onnotice }),
  );
  const db = drizzlePostgres({ client, schema });
  let closing: Promise<void> | undefined;

  const migrate = single(async function migrate() {
    const started = performance.now();
    // Several processes (gateway, servers) may start at once against one database. drizzle's
    // migrator is not safe to race (CREATE SCHEMA IF NOT EXISTS itself can fail), so the run
    // holds a session advisory lock, on a one-connection client so every statement shares it.
    const lockClient = postgres(databaseUrl, { max: 1, connect_timeout: 10, onnotice });
    try {
      const lockDb = drizzlePostgres({ client: lockClient, schema });
      await lockDb.execute(sql`select pg_advisory_lock(hashtext('tankworld.migrate'))`);
      await migratePostgres(lockDb, { migrationsFolder });
      await lockDb.execute(sql`select pg_advisory_unlock(hashtext('tankworld.migrate'))`);
    } catch (err) {
      throw toStoreError(err, 'migrate');
    } finally {
      await lockClient.end({ timeout: 5 });
    }
    logger?.info({ store: 'postgres', ms: Math.round(performance.now() - started) }, 'store migrated');
  });

  return {
    kind: 'postgres',
    db,
    migrate,
    close() {
      closing ??= client.end({ timeout: 5 });
      return closing;
    },
  };
}

interface PgliteParts {
  dataDir: string;
  logger: StoreLogger | undefined;
  migrationsFolder: string;
  template: string | undefined;
}

function createPgliteStore({ dataDir, logger, migrationsFolder, template }: PgliteParts): Store {
  const inMemory = dataDir.startsWith('memory://');
  const fresh = !inMemory && !existsSync(path.join(dataDir, 'PG_VERSION'));
  // The files are every tank's state: the owner's alone. PGlite makes its files as the umask
  // allows, so the folder is 0700 and what an earlier run left in it is tightened to 0600 here
  // (and again on close, for what this run adds).
  if (!inMemory) {
    makePrivateDir(dataDir);
    if (!fresh) tightenTree(dataDir);
  }
  const fromTemplate = fresh && template !== undefined && existsSync(template);
  const client = new PGlite(dataDir, fromTemplate ? { loadDataDir: new Blob([readFileSync(template)]) } : {});
  const db = drizzlePglite({ client, schema });
  let closing: Promise<void> | undefined;

  // One process owns a PGlite directory, so running one migration at a time is enough.
  const migrate = single(async function migrate() {
    const started = performance.now();
    try {
      await migratePglite(db, { migrationsFolder });
    } catch (err) {
      throw toStoreError(err, 'migrate');
    }
    logger?.info({ store: 'pglite', dataDir, ms: Math.round(performance.now() - started) }, 'store migrated');
  });

  async function shutDown() {
    // Closing before PGlite has started would leave its start-up running; let it finish first.
    await client.waitReady.catch(() => undefined);
    if (!client.closed) await client.close();
    if (!inMemory) tightenTree(dataDir);
  }

  return {
    kind: 'pglite',
    db,
    migrate,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
