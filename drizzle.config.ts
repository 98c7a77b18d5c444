/**
 * @module
 * drizzle-kit configuration: `src/store/schema.ts` in, SQL migrations out to `drizzle/`. The same
 * migration set runs on PostgreSQL and PGlite (`Store.migrate()`), so there is one dialect here.
 *
 * @example
 * ```sh
 * npx drizzle-kit generate                          # after editing the schema
 * npx drizzle-kit generate --custom --name my_sql   # an empty migration for hand-written SQL
 * ```
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
