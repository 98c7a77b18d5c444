/**
 * @module
 * Where a tank's tubes lead: for each server, how many tubes join the tank to a tank running
 * there. Placement reads it (`followTubes`) when it moves a tank, so a connected tank lands
 * beside the tanks its fish swim to. One query: the tubes at either end joined to the other
 * end's location.
 */
import { count, eq, or, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt } from './errors.ts';
import { isUuid } from './ids.ts';
import { tankConnectionsTable, tankLocationsTable } from './schema.ts';

/**
 * Tubes from `tankId` to tanks on each server, by server id; empty for a tank without tubes.
 *
 * @example
 * ```ts
 * await countTubePeersByServer(db, tankId); // { 'server-2': 3, 'server-1': 1 }
 * ```
 */
export async function countTubePeersByServer(db: Db, tankId: string): Promise<Record<string, number>> {
  if (!isUuid(tankId)) return {};
  const c = tankConnectionsTable;
  const l = tankLocationsTable;
  // The far end of each tube, whichever end this tank is.
  const other = sql`case when ${c.sourceTankId} = ${tankId} then ${c.destTankId} else ${c.sourceTankId} end`;
  return attempt(`count tube peers of tank ${tankId}`, async () => {
    const rows = await db
      .select({ serverId: l.serverId, tubes: count() })
      .from(c)
      .innerJoin(l, eq(l.tankId, other))
      .where(or(eq(c.sourceTankId, tankId), eq(c.destTankId, tankId)))
      .groupBy(l.serverId);
    return Object.fromEntries(rows.map((r) => [r.serverId, r.tubes]));
  });
}
