/**
 * @module
 * Queries on `tank_connections`: the tubes between tanks. A tube is listed with either of its
 * tanks; the network-wide listing shows a tube to a caller who may read both its ends (naming a
 * private tank's id to someone who may not read it would reveal that it exists).
 */
import { and, asc, eq, exists, getTableColumns, gt, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from './db.ts';
import { attempt, StoreError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type NewTankConnection,
  type TankConnection,
  tankConnectionsTable,
  tankLocationsTable,
  tankPermissionsTable,
  tanksTable,
} from './schema.ts';

const c = tankConnectionsTable;

/**
 * Inserts a tube. A second tube for the same (source, dest) pair throws `ConflictError`; a tank
 * that is gone (deleted meanwhile) throws `NotFoundError` (the foreign key).
 *
 * @example
 * ```ts
 * const tube = await createConnection(db, { sourceTankId, destTankId, sourceMouth: 'right', destMouth: 'left', createdBy: 'alice' });
 * ```
 */
export async function createConnection(db: Db, connection: NewTankConnection): Promise<TankConnection> {
  return attempt(`connect tank ${connection.sourceTankId} to ${connection.destTankId}`, async () => {
    const [row] = await db.insert(c).values(connection).returning();
    return row!;
  });
}

/**
 * Every tube with `tankId` at either end, oldest first.
 *
 * @example
 * ```ts
 * const tubes = await listTankConnections(db, tankId);
 * ```
 */
export async function listTankConnections(db: Db, tankId: string): Promise<TankConnection[]> {
  if (!isUuid(tankId)) return [];
  return listConnectionsOfTanks(db, [tankId]);
}

/**
 * Every tube with one of `tankIds` at either end (a server reads those of all its tanks at once).
 *
 * @example
 * ```ts
 * const tubes = await listConnectionsOfTanks(db, host.list().map((t) => t.id));
 * ```
 */
export async function listConnectionsOfTanks(db: Db, tankIds: readonly string[]): Promise<TankConnection[]> {
  const ids = tankIds.filter(isUuid);
  if (ids.length === 0) return [];
  return attempt(`list connections of ${ids.length} tanks`, () =>
    db
      .select()
      .from(c)
      .where(or(inArray(c.sourceTankId, ids), inArray(c.destTankId, ids)))
      .orderBy(asc(c.createdAt), asc(c.connectionId)),
  );
}

/**
 * Every tube with an end on a tank whose location names `serverId` (what a tank server reads
 * every few seconds): one parameter, and each half of the union walks that server's locations
 * into an index of the tubes, so its cost follows the server's tanks, not the fleet's tubes, and
 * no id list is sent. Oldest first.
 *
 * @example
 * ```ts
 * const tubes = await listConnectionsOnServer(db, 'server-1');
 * ```
 */
export async function listConnectionsOnServer(db: Db, serverId: string): Promise<TankConnection[]> {
  const l = tankLocationsTable;
  const columns = getTableColumns(c);
  const rows = await attempt(`list connections of the tanks on ${serverId}`, () =>
    db
      .select(columns)
      .from(c)
      .innerJoin(l, eq(l.tankId, c.sourceTankId))
      .where(eq(l.serverId, serverId))
      .union(
        db.select(columns).from(c).innerJoin(l, eq(l.tankId, c.destTankId)).where(eq(l.serverId, serverId)),
      ),
  );
  return rows.sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.connectionId < b.connectionId ? -1 : 1),
  );
}

/**
 * Deletes the tube `connectionId` when `tankId` is one of its ends; returns the deleted row, or
 * undefined when there was no such tube on that tank.
 *
 * @example
 * ```ts
 * const gone = await deleteConnection(db, { tankId, connectionId });
 * ```
 */
export async function deleteConnection(
  db: Db,
  { tankId, connectionId }: { tankId: string; connectionId: string },
): Promise<TankConnection | undefined> {
  if (!isUuid(tankId) || !isUuid(connectionId)) return undefined;
  return attempt(`delete connection ${connectionId}`, async () => {
    const [row] = await db
      .delete(c)
      .where(and(eq(c.connectionId, connectionId), or(eq(c.sourceTankId, tankId), eq(c.destTankId, tankId))))
      .returning();
    return row;
  });
}

/** `tank` is readable by `userId`: public, owned, or granted. */
function readable(db: Db, tank: AnyPgColumn, userId: string): SQL {
  const t = tanksTable;
  const p = tankPermissionsTable;
  const granted = db
    .select({ one: sql`1` })
    .from(p)
    .where(and(eq(p.tankId, t.tankId), eq(p.userId, userId)));
  return exists(
    db
      .select({ one: sql`1` })
      .from(t)
      .where(and(eq(t.tankId, tank), or(eq(t.isPublic, true), eq(t.owner, userId), exists(granted)))),
  );
}

export interface ListConnectionsOptions {
  /** Only tubes whose two ends this user may read. */
  visibleTo: string;
  /** Only tubes at this tank (either end). */
  tankId?: string;
  limit?: number;
  cursor?: string;
}

export interface ConnectionPage {
  items: TankConnection[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** The cursor: the last row's creation time and id, as base64url JSON. */
function encodeCursor(row: TankConnection): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.connectionId])).toString('base64url');
}

function decodeCursor(cursor: string): [Date, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
    if (!Number.isNaN(date.getTime()) && typeof id === 'string' && isUuid(id)) return [date, id];
  } catch {
    // Falls through: a cursor that does not parse is malformed, whatever broke.
  }
  throw new StoreError('invalid_request', 'cursor: malformed connection listing cursor');
}

/**
 * Tubes the caller may see, oldest first, a page at a time (keyset on created_at, id).
 *
 * @example
 * ```ts
 * let page = await listConnections(db, { visibleTo: 'alice', limit: 100 });
 * while (page.nextCursor) page = await listConnections(db, { visibleTo: 'alice', cursor: page.nextCursor });
 * ```
 */
export async function listConnections(db: Db, options: ListConnectionsOptions): Promise<ConnectionPage> {
  const { visibleTo, tankId, limit = 100, cursor } = options;
  if (tankId !== undefined && !isUuid(tankId)) return { items: [], nextCursor: null };
  const filters: (SQL | undefined)[] = [
    readable(db, c.sourceTankId, visibleTo),
    readable(db, c.destTankId, visibleTo),
  ];
  if (tankId !== undefined) filters.push(or(eq(c.sourceTankId, tankId), eq(c.destTankId, tankId)));
  if (cursor !== undefined) {
    const [at, id] = decodeCursor(cursor);
    filters.push(or(gt(c.createdAt, at), and(eq(c.createdAt, at), gt(c.connectionId, id))));
  }
  return attempt('list connections', async () => {
    const rows = await db
      .select()
      .from(c)
      .where(and(...filters))
      .orderBy(asc(c.createdAt), asc(c.connectionId))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
  });
}
