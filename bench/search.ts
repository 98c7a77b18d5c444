/**
 * @module
 * Tank search at 100,000 tanks: the p50/p95/p99 of each query shape of `GET /api/tanks`
 * (`listTanks`, the one SQL statement behind it), each run many times with seeded-random
 * parameters and pages of 50, as a user who sees public tanks, their own and those shared with
 * them. The rows are generated in PostgreSQL (DATABASE_URL or a throwaway one), spread over four
 * servers in two regions, then ANALYZEd. Run: `npm run bench search` (SEARCH_BENCH_TANKS,
 * SEARCH_BENCH_RUNS).
 */
import { sql } from 'drizzle-orm';
import { resolveBinaries, startPostgres } from '../src/mesh/index.ts';
import { createStore, type ListTanksOptions, listTanks } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { quantile, recordBenchmark } from './support/index.ts';

const TANKS = Number(process.env.SEARCH_BENCH_TANKS ?? 100_000);
const RUNS = Number(process.env.SEARCH_BENCH_RUNS ?? 200);
const USER = 'user-7';

const pg = process.env.DATABASE_URL
  ? undefined
  : await startPostgres({ binDir: resolveBinaries({ env: process.env }).postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase('bench_search'));
const store = createStore({ databaseUrl, logger: createLogger({ level: 'warn' }) });
await store.migrate();
const db = store.db;

const began = performance.now();
await db.execute(sql`
  insert into servers (server_id, hostname, host, port, region, zone, version) values
    ('server-1', 'h1', '127.0.0.1', 1, 'eu', 'eu-a', 'bench'), ('server-2', 'h2', '127.0.0.1', 2, 'eu', 'eu-b', 'bench'),
    ('server-3', 'h3', '127.0.0.1', 3, 'us', 'us-a', 'bench'), ('server-4', 'h4', '127.0.0.1', 4, 'us', 'us-b', 'bench')
  on conflict do nothing`);
await db.execute(sql`
  insert into tanks (name, owner, is_public, fish_count, generation, created_at)
  select (array['coral','kelp','lagoon','reef','abyss','shoal','tide','delta','fjord','atoll'])[1 + i % 10]
         || ' ' || (array['garden','forest','bay','deep','run','nursery','cove','drift','basin','flats'])[1 + (i / 10) % 10]
         || ' ' || i,
         'user-' || (i % 1000), i % 5 <> 0, ((i::bigint * 7919) % 61)::int, ((i::bigint * 104729) % 41)::int,
         now() - make_interval(secs => i * 77)
  from generate_series(1, ${TANKS}) as i`);
await db.execute(sql`
  insert into tank_locations (tank_id, server_id)
  select tank_id, 'server-' || (1 + abs(hashtext(tank_id::text)) % 4) from tanks`);
// Grants to the searching user on 200 private tanks of others.
await db.execute(sql`
  insert into tank_permissions (tank_id, user_id, permission)
  select tank_id, ${USER}, 'read' from tanks where not is_public and owner <> ${USER} limit 200`);
await db.execute(sql`analyze`);
const loadSeconds = (performance.now() - began) / 1000;

/** mulberry32: the same parameters every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number) => Math.floor(rand() * n);
const WORDS = ['coral', 'kelp', 'lagoon', 'reef', 'abyss', 'garden', 'forest', 'bay', 'deep', 'cove'];
const day = 86_400_000;

/** Each query shape: the options of one run (fresh random values each time). */
const SHAPES: Array<[string, () => ListTanksOptions]> = [
  ['no filter (created asc)', () => ({})],
  ['owner', () => ({ owner: `user-${int(1000)}` })],
  ['server_id', () => ({ serverId: `server-${1 + int(4)}` })],
  ['region', () => ({ region: pick(['eu', 'us']) })],
  ['name words (q, 1 word)', () => ({ text: pick(WORDS) })],
  ['name words (q, 2 words)', () => ({ text: `${pick(WORDS.slice(0, 5))} ${pick(WORDS.slice(5))}` })],
  ['public=false', () => ({ isPublic: false })],
  ['fish range', () => ({ fishMin: int(50), fishMax: 0 }) as ListTanksOptions],
  ['generation ≥', () => ({ generationMin: int(40) })],
  ['created range (one day)', () => ({ createdFrom: new Date(Date.now() - (1 + int(80)) * day) })],
  ['sort=name desc', () => ({ sort: 'name', order: 'desc' })],
  ['sort=fish_count desc', () => ({ sort: 'fish_count', order: 'desc' })],
  ['sort=generation asc', () => ({ sort: 'generation' })],
  [
    'region + fish range + sort=fish_count desc',
    () => ({ region: pick(['eu', 'us']), fishMin: 20, fishMax: 40, sort: 'fish_count', order: 'desc' }),
  ],
  ['owner + q + sort=created desc', () => ({ owner: `user-${int(1000)}`, text: pick(WORDS), order: 'desc' })],
];

/** Fills in the ranges a shape left open relative to its start. */
function complete(o: ListTanksOptions): ListTanksOptions {
  if (o.fishMin !== undefined && o.fishMax === 0) return { ...o, fishMax: o.fishMin + 5 };
  if (o.createdFrom && !o.createdBefore)
    return { ...o, createdBefore: new Date(o.createdFrom.getTime() + day) };
  return o;
}

/** A quantile in ms, to 0.01 ms. */
const ms = (xs: number[], q: number) => (xs.length ? Math.round(quantile(xs, q) * 100) / 100 : '');

async function time(o: ListTanksOptions): Promise<{ ms: number; rows: number; next: string | null }> {
  const t0 = performance.now();
  const page = await listTanks(db, { limit: 50, visibleTo: USER, ...o });
  return { ms: performance.now() - t0, rows: page.items.length, next: page.nextCursor };
}

const rows = [];
for (const [shape, make] of SHAPES) {
  for (let i = 0; i < 10; i++) await time(complete(make())); // warm the plan cache and pool
  const first: number[] = [];
  const later: number[] = [];
  let rowsSeen = 0;
  for (let i = 0; i < RUNS; i++) {
    const o = complete(make());
    const page = await time(o);
    first.push(page.ms);
    rowsSeen += page.rows;
    // The page after it, through the cursor: a keyset page costs what the first one does.
    if (page.next) later.push((await time({ ...o, cursor: page.next })).ms);
  }
  rows.push({
    'query shape': shape,
    'rows/page': Math.round(rowsSeen / RUNS),
    'p50 ms': ms(first, 0.5),
    'p95 ms': ms(first, 0.95),
    'p99 ms': ms(first, 0.99),
    'next page p95 ms': ms(later, 0.95),
  });
}

recordBenchmark({
  name: 'search',
  rows,
  notes: [
    `${TANKS.toLocaleString('en')} tanks generated in PostgreSQL (${loadSeconds.toFixed(1)} s with the locations and ANALYZE), 1000 owners, 80 % public, 4 servers in 2 regions`,
    `${RUNS} runs per shape with seeded-random values, pages of 50, as ${USER} (public tanks, own, 200 shared); "next page": the page after it, through its cursor`,
    'timed at the store (`listTanks`, the one statement behind `GET /api/tanks`); the gateway adds its HTTP and the live stats read on top',
    'indexes: drizzle/0005_tank_search.sql (each sort on (key, tank_id), a GIN on the name words)',
  ],
});
await store.close();
await pg?.stop();
