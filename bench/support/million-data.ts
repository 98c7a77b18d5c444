/**
 * @module
 * The rows of `npm run bench million`, generated inside PostgreSQL (`generate_series`, chunks of
 * 100,000 with progress): `tanks`, `tank_locations` spread evenly over simulated servers in four
 * regions, their `servers` rows, and a minimal paused snapshot for every tank of the server the
 * bench fails over. Tank ids are `md5('tank-' || i)::uuid`, so the bench draws ids to look up
 * without reading them back.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createWorld, serialize } from '../../src/sim/index.ts';
import type { Db } from '../../src/store/index.ts';
import { TANK_SNAPSHOT_VERSION } from '../../src/tank/index.ts';

export const REGIONS = ['eu', 'us', 'ap', 'sa'] as const;
const CHUNK = 100_000;

/** The id of generated tank `i` (1-based), as the SQL computes it. */
export function tankIdOf(i: number): string {
  const h = createHash('md5').update(`tank-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Simulated server `n` (0-based): `sim-000`, `sim-001`, … */
export function simServerId(n: number): string {
  return `sim-${String(n).padStart(3, '0')}`;
}

export interface GenerateOptions {
  db: Db;
  tanks: number;
  servers: number;
  /** Called with a line of progress. */
  progress: (line: string) => void;
}

/** Seconds each phase took. */
export interface GenerateResult {
  tanksSeconds: number;
  locationsSeconds: number;
  /** Building the secondary indexes after the load. */
  indexSeconds: number;
  snapshotsSeconds: number;
  analyzeSeconds: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Rows in chunks, each one statement over `generate_series`. */
async function chunked(
  tanks: number,
  label: string,
  progress: (line: string) => void,
  insert: (from: number, to: number) => Promise<void>,
): Promise<void> {
  const t0 = performance.now();
  for (let from = 1; from <= tanks; from += CHUNK) {
    const to = Math.min(tanks, from + CHUNK - 1);
    await insert(from, to);
    const rate = Math.round(to / ((performance.now() - t0) / 1000));
    progress(`${label}: ${to.toLocaleString('en')} / ${tanks.toLocaleString('en')} (${rate} rows/s)`);
  }
}

/**
 * A paused world with no fish and room for few (small arrays: ten thousand of them restore in
 * one process), as `encodeTankSnapshot` writes it; each tank's copy gets its own uid prefix.
 */
function minimalSnapshot(): unknown {
  const world = createWorld({ seed: 1, uidPrefix: 'bench', maxFish: 4, initialFish: 0 });
  return { version: TANK_SNAPSHOT_VERSION, paused: true, world: serialize(world) };
}

/**
 * Fills an empty, migrated database; tank `i` runs on server `(i - 1) % servers`, so each
 * server owns `tanks / servers` of them.
 */
export async function generateMillion({
  db,
  tanks,
  servers,
  progress,
}: GenerateOptions): Promise<GenerateResult> {
  // Secondary indexes are built once after the load, as a bulk load does (a GIN index kept up
  // row by row made the load several times slower); the keys and foreign key stay.
  const indexes = (await db.execute(sql`select indexname, indexdef from pg_indexes
    where tablename in ('tanks', 'tank_locations') and indexname not like '%_pkey'`)) as unknown as Array<{
    indexname: string;
    indexdef: string;
  }>;
  for (const { indexname } of indexes) await db.execute(sql.raw(`drop index "${indexname}"`));
  await db.execute(sql`
    insert into servers (server_id, hostname, host, port, region, zone, version)
    select 'sim-' || lpad(n::text, 3, '0'), 'sim', '127.0.0.1', 1,
           (array['eu','us','ap','sa'])[1 + n % 4], (array['eu','us','ap','sa'])[1 + n % 4] || '-a', 'bench'
    from generate_series(0, ${servers - 1}) as n`);
  const tanksSeconds = await timed(() =>
    chunked(tanks, 'tanks', progress, async (from, to) => {
      await db.execute(sql`
        insert into tanks (tank_id, name, owner, is_public, seed, fish_count, generation, created_at)
        select md5('tank-' || i)::uuid,
               (array['coral','kelp','lagoon','reef','abyss','shoal','tide','delta','fjord','atoll'])[1 + i % 10]
                 || ' ' || (array['garden','forest','bay','deep','run','nursery','cove','drift','basin','flats'])[1 + (i / 10) % 10]
                 || ' ' || i,
               'user-' || (i % 10000), i % 5 <> 0, i, ((i::bigint * 7919) % 61)::int,
               ((i::bigint * 104729) % 41)::int, now() - make_interval(secs => i * 7)
        from generate_series(${from}::int, ${to}::int) as i`);
    }),
  );
  const locationsSeconds = await timed(() =>
    chunked(tanks, 'tank_locations', progress, async (from, to) => {
      await db.execute(sql`
        insert into tank_locations (tank_id, server_id)
        select md5('tank-' || i)::uuid, 'sim-' || lpad(((i - 1) % ${servers})::text, 3, '0')
        from generate_series(${from}::int, ${to}::int) as i`);
    }),
  );
  const indexSeconds = await timed(async () => {
    for (const { indexname, indexdef } of indexes) {
      await db.execute(sql.raw(indexdef));
      progress(`index ${indexname}: built`);
    }
  });
  const state = JSON.stringify(minimalSnapshot());
  const snapshotsSeconds = await timed(async () => {
    await db.execute(sql`
      insert into tank_snapshots (tank_id, server_id, epoch, frame, state)
      select tank_id, server_id, epoch, 0,
             jsonb_set(${state}::jsonb, '{world,uidPrefix}', to_jsonb(replace(tank_id::text, '-', '')))
      from tank_locations where server_id = ${simServerId(0)}`);
    progress(`tank_snapshots: ${simServerId(0)}'s tanks`);
  });
  // VACUUM as autovacuum would after a load this size: the visibility map lets the count by
  // server read the index alone.
  const analyzeSeconds = await timed(async () => {
    await db.execute(sql`vacuum analyze tanks`);
    await db.execute(sql`vacuum analyze tank_locations`);
    await db.execute(sql`vacuum analyze tank_snapshots`);
    progress('vacuum analyze: done');
  });
  return { tanksSeconds, locationsSeconds, indexSeconds, snapshotsSeconds, analyzeSeconds };
}
