/**
 * @module
 * Queries on `tanks`: metadata and ownership. The network-wide listing is `tank-search.ts`.
 */
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type NewTank,
  type TankLocation,
  type TankRow,
  tankLocationsTable,
  tanksTable,
  transferReservationsTable,
} from './schema.ts';

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

/**
 * Every tank whose location names `serverId`, with that location, by tank id: what a server
 * restores at start-up, in one query (one per tank was ten thousand round trips for a full
 * server).
 *
 * @example
 * ```ts
 * for (const { tank, location } of await listTanksOnServer(db, 'srv-1')) restore(tank, location.epoch);
 * ```
 */
export async function listTanksOnServer(
  db: Db,
  serverId: string,
): Promise<Array<{ tank: TankRow; location: TankLocation }>> {
  return attempt(`list tanks on server ${serverId}`, () =>
    db
      .select({ tank: tanksTable, location: tankLocationsTable })
      .from(tankLocationsTable)
      .innerJoin(tanksTable, eq(tanksTable.tankId, tankLocationsTable.tankId))
      .where(eq(tankLocationsTable.serverId, serverId))
      .orderBy(asc(tankLocationsTable.tankId)),
  );
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
