/**
 * @module
 * The journal of a move between two tanks of one server (a tube, src/server/tubes): both sides
 * written settled at once — `departed` on the source, `arrived` on the dest — in one
 * transaction fenced on both tanks' locations. A restore from a snapshot older than the move
 * replays them (`replayJournal`), so a crash at any point leaves the fish in exactly one tank.
 */
import { and, eq, or } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt } from './errors.ts';
import { tankLocationsTable, transferReservationsTable } from './schema.ts';

export interface LocalMove {
  /** A fresh uuid naming the move (the journal's transfer id). */
  moveId: string;
  serverId: string;
  entityUid: string;
  source: { tankId: string; epoch: number; seq: number; payload: unknown };
  dest: { tankId: string; epoch: number; seq: number; payload: unknown };
}

/**
 * Writes both journal entries of a local move, or nothing when this server no longer owns both
 * tanks at their epochs (answers false: the caller undoes the move in memory).
 *
 * @example
 * ```ts
 * if (!(await journalLocalMove(db, move))) putBack();
 * ```
 */
export async function journalLocalMove(db: Db, move: LocalMove): Promise<boolean> {
  const l = tankLocationsTable;
  const at = (side: LocalMove['source']) =>
    and(eq(l.tankId, side.tankId), eq(l.serverId, move.serverId), eq(l.epoch, side.epoch));
  return attempt(`journal local move ${move.moveId}`, () =>
    db.transaction(async (tx) => {
      // FOR SHARE holds both locations until commit: a failover either waits for these rows
      // (and its restore replays them) or is seen here (and nothing is written).
      const owned = await tx
        .select({ tankId: l.tankId })
        .from(l)
        .where(or(at(move.source), at(move.dest)))
        .for('share');
      if (owned.length !== 2) return false;
      const common = { transferId: move.moveId, serverId: move.serverId, entityUid: move.entityUid };
      await tx.insert(transferReservationsTable).values([
        {
          ...common,
          tankId: move.source.tankId,
          role: 'source',
          state: 'departed',
          payload: move.source.payload,
          seq: move.source.seq,
        },
        {
          ...common,
          tankId: move.dest.tankId,
          role: 'dest',
          state: 'arrived',
          payload: move.dest.payload,
          seq: move.dest.seq,
        },
      ]);
      return true;
    }),
  );
}
