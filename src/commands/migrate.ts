/**
 * @module
 * `tankworld migrate`: applies the SQL migrations in drizzle/ to DATABASE_URL (or the embedded
 * PGlite store under the data folder).
 */
import path from 'node:path';
import { loadCommonConfig } from '../config.ts';
import { createStore } from '../store/index.ts';
import { createLogger } from '../telemetry/index.ts';

export async function runMigrate(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadCommonConfig(argv, env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'migrate' } });
  const store = createStore({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.dataDir, 'pglite'),
    logger,
  });
  try {
    await store.migrate();
    logger.info({ store: store.kind }, 'migrations applied');
  } finally {
    await store.close();
  }
}
