/**
 * @module
 * The network-wide tank listing: filters (owner, server, region, name words, public, fish count
 * and generation ranges, created time) and one sort at a time, keyset-paged. Each sort pages on
 * (key, tank_id) with an index of that shape (`drizzle/0005_tank_search.sql`), so a page costs
 * the same at row 100,000 as at row 0, and pages stay correct while tanks come and go.
 */
import { and, asc, desc, eq, exists, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, StoreError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  serversTable,
  type TankLocation,
  type TankRow,
  tankLocationsTable,
  tankPermissionsTable,
  tanksTable,
} from './schema.ts';

/** The keys a listing sorts on. */
export const TANK_SORTS = ['created', 'name', 'fish_count', 'generation'] as const;
export type TankSort = (typeof TANK_SORTS)[number];

/** A tank with the location row that says where it runs (null while it has none). */
export interface TankEntry {
  tank: TankRow;
  location: TankLocation | null;
}

export interface ListTanksOptions {
  /** Page size, 1 to 500. */
  limit?: number;
  /** `nextCursor` of the previous page, under the same sort and order. */
  cursor?: string;
  /** Only tanks located on this server. */
  serverId?: string;
  /** Only tanks this user may see: public ones, their own, and those they hold a permission on. */
  visibleTo?: string;
  /** Only tanks this user owns. */
  owner?: string;
  /** Only tanks on a server registered in this region (or zone). */
  region?: string;
  /** Only tanks whose name has every one of these words (each a prefix of a word). */
  text?: string;
  isPublic?: boolean;
  fishMin?: number;
  fishMax?: number;
  generationMin?: number;
  generationMax?: number;
  /** Created at or after. */
  createdFrom?: Date;
  /** Created before. */
  createdBefore?: Date;
  /** `created` (the default), `name`, `fish_count` or `generation`; ties by tank id. */
  sort?: TankSort;
  order?: 'asc' | 'desc';
}

export interface TankPage {
  items: TankEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Per sort: its column, the SQL type of its cursor value, and how a row gives that value. */
const SORTS = {
  created: {
    column: tanksTable.createdAt,
    type: 'timestamptz',
    value: (t: TankRow): string | number => t.createdAt.getTime(),
  },
  name: { column: tanksTable.name, type: 'text', value: (t: TankRow): string | number => t.name },
  fish_count: {
    column: tanksTable.fishCount,
    type: 'int4',
    value: (t: TankRow): string | number => t.fishCount,
  },
  generation: {
    column: tanksTable.generation,
    type: 'int4',
    value: (t: TankRow): string | number => t.generation,
  },
} as const;

/** The cursor names its sort and order, then the last row's key and tank id, as base64url JSON. */
function encodeCursor(sort: TankSort, order: string, tank: TankRow): string {
  return Buffer.from(JSON.stringify([sort, order, SORTS[sort].value(tank), tank.tankId])).toString(
    'base64url',
  );
}

function decodeCursor(
  cursor: string,
  sort: TankSort,
  order: string,
): { key: string | number; tankId: string } {
  let parsed: unknown[] | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
  } catch {
    // Falls through to the error below: a cursor that does not parse is malformed, whatever broke.
  }
  if (Array.isArray(parsed) && parsed.length === 4) {
    const [s, o, key, tankId] = parsed;
    const keyOk = sort === 'name' ? typeof key === 'string' : Number.isSafeInteger(key);
    if (s !== sort || o !== order)
      throw new StoreError('invalid_request', 'cursor: it belongs to another sort or order');
    if (keyOk && typeof tankId === 'string' && isUuid(tankId)) return { key: key as string | number, tankId };
  }
  throw new StoreError('invalid_request', 'cursor: malformed tank listing cursor');
}

/**
 * The name words as a prefix-matching `tsquery` (`reef:* & blue:*`): letters and digits only,
 * so nothing the caller types is tsquery syntax. Undefined when it holds no word.
 */
export function nameQuery(text: string): string | undefined {
  const words = text
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu)
    ?.slice(0, 8);
  return words && words.length > 0 ? words.map((w) => `${w}:*`).join(' & ') : undefined;
}

/** The WHERE terms of every filter given. */
function filtersOf(db: Db, o: ListTanksOptions): (SQL | undefined)[] {
  const t = tanksTable;
  const filters: (SQL | undefined)[] = [];
  if (o.serverId !== undefined) filters.push(eq(tankLocationsTable.serverId, o.serverId));
  if (o.region !== undefined) {
    const inRegion = db
      .select({ id: serversTable.serverId })
      .from(serversTable)
      .where(or(eq(serversTable.region, o.region), eq(serversTable.zone, o.region)));
    filters.push(inArray(tankLocationsTable.serverId, inRegion));
  }
  if (o.owner !== undefined) filters.push(eq(t.owner, o.owner));
  if (o.text !== undefined) {
    const query = nameQuery(o.text);
    if (query === undefined) throw new StoreError('invalid_request', 'q: holds no word to search for');
    filters.push(sql`to_tsvector('simple', ${t.name}) @@ to_tsquery('simple', ${query})`);
  }
  if (o.isPublic !== undefined) filters.push(eq(t.isPublic, o.isPublic));
  if (o.fishMin !== undefined) filters.push(gte(t.fishCount, o.fishMin));
  if (o.fishMax !== undefined) filters.push(lte(t.fishCount, o.fishMax));
  if (o.generationMin !== undefined) filters.push(gte(t.generation, o.generationMin));
  if (o.generationMax !== undefined) filters.push(lte(t.generation, o.generationMax));
  if (o.createdFrom !== undefined) filters.push(gte(t.createdAt, o.createdFrom));
  if (o.createdBefore !== undefined)
    filters.push(sql`${t.createdAt} < ${o.createdBefore.toISOString()}::timestamptz`);
  if (o.visibleTo !== undefined) {
    const permitted = db
      .select({ one: sql`1` })
      .from(tankPermissionsTable)
      .where(and(eq(tankPermissionsTable.tankId, t.tankId), eq(tankPermissionsTable.userId, o.visibleTo)));
    filters.push(or(eq(t.isPublic, true), eq(t.owner, o.visibleTo), exists(permitted)));
  }
  return filters;
}

/**
 * A page of tanks, each with its location, filtered and sorted as asked (oldest first by
 * default). Keyset pagination: pages stay correct while tanks are created and deleted between
 * requests; a cursor from another sort or order is refused.
 *
 * @example
 * ```ts
 * let page = await listTanks(db, { limit: 100, visibleTo: 'alice', sort: 'fish_count', order: 'desc' });
 * while (page.nextCursor) page = await listTanks(db, { …same, cursor: page.nextCursor });
 * ```
 */
export async function listTanks(db: Db, options: ListTanksOptions = {}): Promise<TankPage> {
  const { limit = 50, cursor, sort = 'created', order = 'asc' } = options;
  const size = Math.min(Math.max(Math.trunc(limit), 1), 500);
  const { column, type } = SORTS[sort];
  const filters = filtersOf(db, options);
  if (cursor !== undefined) {
    const after = decodeCursor(cursor, sort, order);
    const key = sort === 'created' ? new Date(after.key).toISOString() : after.key;
    // A row comparison, which the (key, tank_id) index answers as one range.
    const cmp = order === 'asc' ? sql.raw('>') : sql.raw('<');
    filters.push(
      sql`(${column}, ${tanksTable.tankId}) ${cmp} (${key}::${sql.raw(type)}, ${after.tankId}::uuid)`,
    );
  }
  const by = order === 'asc' ? asc : desc;
  return attempt('list tanks', async () => {
    const rows = await db
      .select({ tank: tanksTable, location: tankLocationsTable })
      .from(tanksTable)
      .leftJoin(tankLocationsTable, eq(tankLocationsTable.tankId, tanksTable.tankId))
      .where(and(...filters))
      .orderBy(by(column), by(tanksTable.tankId))
      // One row more than the page tells whether another page follows, without a count query.
      .limit(size + 1);
    const items = rows.slice(0, size);
    const nextCursor = rows.length > size ? encodeCursor(sort, order, items[items.length - 1]!.tank) : null;
    return { items, nextCursor };
  });
}
