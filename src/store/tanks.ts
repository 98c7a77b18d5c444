/**
 * @module
 * Queries on `tanks`: metadata and ownership, and the network-wide listing joined with where each
 * tank runs.
 */
import { and, asc, eq, exists, gt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, StoreError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type NewTank,
  type TankLocation,
  type TankRow,
  tankLocationsTable,
  tankPermissionsTable,
  tanksTable,
  transferReservationsTable,
} from './schema.ts';

/** A tank with the location row that says where it runs (null while it has none). */
export interface TankEntry {
  tank: TankRow;
  location: TankLocation | null;
}

export interface ListTanksOptions {
  /** Page size, 1 to 500. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Only tanks located on this server. */
  serverId?: string;
  /** Only tanks this user may see: public ones, their own, and those they hold a permission on. */
  visibleTo?: string;
}

export interface TankPage {
  items: TankEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Inserts a tank. A duplicate id throws `ConflictError`.
 *
 * @example
 * ```ts
 * const tank = await createTank(db, { name: 'Reef', owner: 'alice', seed: 42 });
 * ```
 */
export async function createTank(db: Db, tank: NewTank): Promise<TankRow> {
  return attempt(`create tank ${tank.tankId ?? tank.name}`, async () => {
    const [row] = await db.insert(tanksTable).values(tank).returning();
    return row!;
  });
}

/**
 * One tank, or undefined (also for an id that is not a uuid).
 *
 * @example
 * ```ts
 * const tank = await getTank(db, tankId);
 * ```
 */
export async function getTank(db: Db, tankId: string): Promise<TankRow | undefined> {
  if (!isUuid(tankId)) return undefined;
  return attempt(`get tank ${tankId}`, async () => {
    const [row] = await db.select().from(tanksTable).where(eq(tanksTable.tankId, tankId));
    return row;
  });
}

/**
 * A tank and its location in one statement, so both come from one snapshot: read apart, a
 * delete committed between the two reads showed a tank with no server (a 503 for a tank that
 * was going away; found by the fuzzer).
 *
 * @example
 * ```ts
 * const found = await getTankWithLocation(db, tankId); // { tank, location } | undefined
 * ```
 */
export async function getTankWithLocation(
  db: Db,
  tankId: string,
): Promise<{ tank: TankRow; location: TankLocation | undefined } | undefined> {
  if (!isUuid(tankId)) return undefined;
  return attempt(`get tank ${tankId}`, async () => {
    const [row] = await db
      .select({ tank: tanksTable, location: tankLocationsTable })
      .from(tanksTable)
      .leftJoin(tankLocationsTable, eq(tankLocationsTable.tankId, tanksTable.tankId))
      .where(eq(tanksTable.tankId, tankId));
    return row && { tank: row.tank, location: row.location ?? undefined };
  });
}

/** The cursor is the last row's (created_at, tank_id), the listing's sort key, as base64url JSON. */
function encodeCursor(tank: TankRow): string {
  return Buffer.from(JSON.stringify([tank.createdAt.getTime(), tank.tankId])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; tankId: string } {
  try {
    const [ms, tankId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof tankId === 'string' && isUuid(tankId)) {
      return { createdAt: new Date(ms), tankId };
    }
  } catch {
    // Falls through to the error below: a cursor that does not parse is malformed, whatever broke.
  }
  throw new StoreError('invalid_request', 'malformed tank listing cursor');
}

/**
 * A page of tanks, oldest first, each with its location. Keyset pagination: pages stay correct
 * while tanks are created and deleted between requests.
 *
 * @example
 * ```ts
 * let page = await listTanks(db, { limit: 100, visibleTo: 'alice' });
 * while (page.nextCursor) page = await listTanks(db, { limit: 100, visibleTo: 'alice', cursor: page.nextCursor });
 * ```
 */
export async function listTanks(
  db: Db,
  { limit = 50, cursor, serverId, visibleTo }: ListTanksOptions = {},
): Promise<TankPage> {
  const size = Math.min(Math.max(Math.trunc(limit), 1), 500);
  const filters: (SQL | undefined)[] = [];
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    filters.push(
      or(
        gt(tanksTable.createdAt, after.createdAt),
        and(eq(tanksTable.createdAt, after.createdAt), gt(tanksTable.tankId, after.tankId)),
      ),
    );
  }
  if (serverId !== undefined) filters.push(eq(tankLocationsTable.serverId, serverId));
  if (visibleTo !== undefined) {
    const permitted = db
      .select({ one: sql`1` })
      .from(tankPermissionsTable)
      .where(
        and(eq(tankPermissionsTable.tankId, tanksTable.tankId), eq(tankPermissionsTable.userId, visibleTo)),
      );
    filters.push(or(eq(tanksTable.isPublic, true), eq(tanksTable.owner, visibleTo), exists(permitted)));
  }
  return attempt('list tanks', async () => {
    const rows = await db
      .select({ tank: tanksTable, location: tankLocationsTable })
      .from(tanksTable)
      .leftJoin(tankLocationsTable, eq(tankLocationsTable.tankId, tanksTable.tankId))
      .where(and(...filters))
      .orderBy(asc(tanksTable.createdAt), asc(tanksTable.tankId))
      // One row more than the page tells whether another page follows, without a count query.
      .limit(size + 1);
    const items = rows.slice(0, size);
    const nextCursor = rows.length > size ? encodeCursor(items[items.length - 1]!.tank) : null;
    return { items, nextCursor };
  });
}

/**
 * Deletes a tank; its location, snapshots and permissions go with it (ON DELETE CASCADE), and
 * so does its transfer journal (settled reservations; open ones stay for their transfers to
 * settle). Returns false when there was no such tank.
 *
 * @example
 * ```ts
 * if (!(await deleteTank(db, tankId))) throw new ApiError('tank_not_found', tankId);
 * ```
 */
export async function deleteTank(db: Db, tankId: string): Promise<boolean> {
  if (!isUuid(tankId)) return false;
  return attempt(`delete tank ${tankId}`, () =>
    db.transaction(async (tx) => {
      // The location row first, in the order the fenced writers take their locks: a snapshot or
      // reservation insert holds the location FOR SHARE, then checks its foreign key on the tank
      // row. A delete that locked the tank row and then cascaded to the location deadlocked with
      // it (PostgreSQL aborts one: a 500 for the delete or for the snapshot).
      await tx
        .select({ tankId: tankLocationsTable.tankId })
        .from(tankLocationsTable)
        .where(eq(tankLocationsTable.tankId, tankId))
        .for('update');
      const r = transferReservationsTable;
      const journal = tx.$with('journal').as(
        tx
          .delete(r)
          .where(and(eq(r.tankId, tankId), ne(r.state, 'open')))
          .returning({ transferId: r.transferId }),
      );
      const rows = await tx
        .with(journal)
        .delete(tanksTable)
        .where(eq(tanksTable.tankId, tankId))
        .returning({ tankId: tanksTable.tankId });
      return rows.length > 0;
    }),
  );
}

/**
 * How many tanks `owner` owns (the tank quota counts these rows).
 *
 * @example
 * ```ts
 * if ((await countTanksOwnedBy(db, 'alice')) >= 100) throw tankQuotaExceeded('alice', 100);
 * ```
 */
export async function countTanksOwnedBy(db: Db, owner: string): Promise<number> {
  return attempt(`count tanks of ${owner}`, async () => {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(tanksTable)
      .where(eq(tanksTable.owner, owner));
    return Number(row?.n ?? 0);
  });
}

/** The first key of the owner locks, so they never meet another advisory lock of ours. */
const OWNER_LOCK_SPACE = 7101;

/**
 * Takes the owner's lock until the transaction ends: two creates for one owner, on any server of
 * the database, count and insert one after the other, so a burst cannot pass the quota.
 *
 * @example
 * ```ts
 * await db.transaction(async (tx) => {
 *   await lockOwner(tx, 'alice');
 *   if ((await countTanksOwnedBy(tx, 'alice')) < quota) await createTank(tx, { … });
 * });
 * ```
 */
export async function lockOwner(tx: Db, owner: string): Promise<void> {
  await attempt(`lock owner ${owner}`, async () => {
    await tx.execute(sql`select pg_advisory_xact_lock(${OWNER_LOCK_SPACE}, hashtext(${owner}))`);
  });
}
