/**
 * @module
 * Where an in-process bench keeps its data: the PostgreSQL that `DATABASE_URL` names, or a
 * throwaway one started from the cached binaries, a fresh database per name.
 */
import { resolveBinaries, startPostgres } from '../../src/mesh/index.ts';

export interface BenchDatabases {
  /** A database for `name`: `DATABASE_URL` itself when set, else a new one on the throwaway server. */
  url(name: string): Promise<string>;
  /** Stops the throwaway server, if one was started. */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const databases = await benchDatabases();
 * const store = createStore({ databaseUrl: await databases.url(`bench_moves_${Date.now()}`), logger });
 * ```
 */
export async function benchDatabases(): Promise<BenchDatabases> {
  const given = process.env.DATABASE_URL;
  if (given) return { url: async () => given, stop: async () => {} };
  const pg = await startPostgres({ binDir: resolveBinaries({ env: process.env }).postgresBinDir });
  return { url: (name) => pg.createDatabase(name), stop: () => pg.stop() };
}
