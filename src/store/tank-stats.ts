/**
 * @module
 * The fish count and generation search reads (`tanks.fish_count`, `tanks.generation`), written
 * by each tank's server. Only the server the location row names may write a tank's figures, so
 * a server that lost a tank (failover, move) cannot overwrite its new owner's.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt } from './errors.ts';

/** One tank's figures. */
export interface TankStatsRow {
  tankId: string;
  fishCount: number;
  generation: number;
}

/** Rows per statement: a server holds up to a few thousand tanks. */
const CHUNK = 500;

/**
 * Writes the figures of tanks `serverId` runs; rows for tanks it no longer holds are skipped.
 * Returns how many tanks were updated.
 *
 * @example
 * ```ts
 * await recordTankStats(db, { serverId: 'srv-1', rows: [{ tankId, fishCount: 12, generation: 3 }] });
 * ```
 */
export async function recordTankStats(
  db: Db,
  { serverId, rows }: { serverId: string; rows: readonly TankStatsRow[] },
): Promise<number> {
  let updated = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = sql.join(
      rows
        .slice(i, i + CHUNK)
        .map(
          (r) =>
            sql`(${r.tankId}::uuid, ${Math.trunc(r.fishCount)}::int4, ${Math.trunc(r.generation)}::int4)`,
        ),
      sql`, `,
    );
    updated += await attempt(`tank stats of server ${serverId}`, async () => {
      const result = await db.execute(sql`
        update tanks t set fish_count = s.fish, generation = s.gen
        from (values ${values}) as s(id, fish, gen), tank_locations l
        where t.tank_id = s.id and l.tank_id = t.tank_id and l.server_id = ${serverId}
          and (t.fish_count, t.generation) is distinct from (s.fish, s.gen)
        returning t.tank_id`);
      return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])).length;
    });
  }
  return updated;
}
