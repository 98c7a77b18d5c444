/**
 * @module
 * The reservation writes of a batch of transfer steps (see `reservations.ts`), one statement
 * each: new reservations (fenced when they carry an epoch) and settlements. Every row travels
 * in one JSON parameter, so one prepared statement serves any batch; two steps on one side of a
 * transfer never share a statement, and a row that fails fails alone (`runInTurns`).
 */
import { type SQL, sql } from 'drizzle-orm';
import { batchedOnce, orThrow, runInTurns } from './batched.ts';
import type { Db } from './db.ts';
import { preparedOnce } from './prepared.ts';
import {
  type NewTransferReservation,
  type ReservationRole,
  type ReservationState,
  type TransferReservation,
  tankLocationsTable,
  transferReservationsTable,
} from './schema.ts';

/** Rows of a batch: one JSON parameter, so one prepared statement serves any batch size. */
const rowsOf = (columns: SQL) => sql`json_to_recordset(${sql.placeholder('rows')}::json) as v(${columns})`;

/**
 * `v`'s tank is still located at `v.server_id`, epoch `v.epoch` (a null epoch: not fenced). FOR
 * SHARE holds the location until commit, so a failover moving the tank either waits for this
 * write (and its restore sees it) or is seen here (and nothing is written).
 */
const owned = (tank: SQL | typeof transferReservationsTable.tankId) => sql`(v.epoch is null or exists (
  select 1 from ${tankLocationsTable} as l
  where l.tank_id = ${tank} and l.server_id = v.server_id and l.epoch = v.epoch
  for share of l))`;

export type Insert = Omit<NewTransferReservation, 'createdAt' | 'state'> & { epoch?: number };

const sideKey = (r: { transferId: string; role: string }) => `${r.transferId}/${r.role}`;

/** New open reservations (fenced when they carry an epoch); each answers its row or undefined. */
function insertBatched(db: Db) {
  return batchedOnce(
    db,
    'insert_reservations',
    runInTurns({
      keyOf: sideKey,
      run: async (items: Insert[]) => {
        const rows = await preparedOnce(db, 'insert_reservations', () =>
          db
            .insert(transferReservationsTable)
            .select(
              sql`select v.transfer_id, v.tank_id, v.server_id, v.role, v.entity_uid, v.payload, 'open', v.seq, now()
          from ${rowsOf(sql`transfer_id uuid, tank_id uuid, server_id text, role text, entity_uid text,
            payload jsonb, seq bigint, epoch integer`)}
          where ${owned(sql`v.tank_id`)}`,
            )
            .onConflictDoNothing()
            .returning()
            .prepare('insert_reservations'),
        ).execute({
          rows: JSON.stringify(
            items.map((r) => ({
              transfer_id: r.transferId,
              tank_id: r.tankId,
              server_id: r.serverId,
              role: r.role,
              entity_uid: r.entityUid,
              payload: r.payload,
              seq: r.seq ?? 0,
              epoch: r.epoch ?? null,
            })),
          ),
        });
        const written = new Map(rows.map((r) => [sideKey(r), r]));
        return items.map((r) => written.get(sideKey(r)));
      },
    }),
  );
}

/** A side to settle; fenced on its tank's location when it carries an epoch. */
export interface Settle {
  transferId: string;
  role: ReservationRole;
  state: Exclude<ReservationState, 'open'>;
  /** The tank's journal position of the change; absent when the world did not change now. */
  seq?: number;
  serverId?: string;
  epoch?: number;
}

/** Open reservations settled (fenced when they carry an epoch); each answers its row or undefined. */
function settleBatched(db: Db) {
  return batchedOnce(
    db,
    'settle_reservations',
    runInTurns({
      keyOf: sideKey,
      run: async (items: Settle[]) => {
        const t = transferReservationsTable;
        // drizzle types an UPDATE … FROM (raw SQL) as unknown; it returns the table's rows.
        const rows = (await preparedOnce(db, 'settle_reservations', () =>
          db
            .update(t)
            .set({ state: sql`v.state`, seq: sql`coalesce(v.seq, ${t.seq})` })
            .from(
              rowsOf(sql`transfer_id uuid, role text, state text, seq bigint, server_id text, epoch integer`),
            )
            .where(
              // The planner cannot see how few rows the JSON holds; the id list keeps it on the index
              // (a hash join would read the whole table, journal included, every batch).
              sql`${t.transferId} = any(array(select (e->>'transfer_id')::uuid from json_array_elements(${sql.placeholder('rows')}::json) as e))
            and ${t.transferId} = v.transfer_id and ${t.role} = v.role and ${t.state} = 'open' and ${owned(t.tankId)}`,
            )
            .returning()
            .prepare('settle_reservations'),
        ).execute({
          rows: JSON.stringify(
            items.map((r) => ({
              transfer_id: r.transferId,
              role: r.role,
              state: r.state,
              seq: r.seq ?? null,
              server_id: r.serverId ?? null,
              epoch: r.epoch ?? null,
            })),
          ),
        })) as TransferReservation[];
        const settled = new Map(rows.map((r) => [sideKey(r), r]));
        return items.map((r) => settled.get(sideKey(r)));
      },
    }),
  );
}

/** Records a new open reservation; its row, or undefined when not written (taken, or fenced). */
export const insertReservation = (db: Db, item: Insert) => orThrow(insertBatched(db)(item));

/** Settles an open reservation; its row, or undefined when it was not open (or fenced). */
export const settleOne = (db: Db, item: Settle) => orThrow(settleBatched(db)(item));
