/**
 * @module
 * Queries on `tank_snapshots`: fenced batch writes from a server's snapshotter, and the reads a
 * restart, a failover or the snapshots API needs.
 */
import { randomUUID } from 'node:crypto';
import { asc, desc, eq, getTableColumns, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from './db.ts';
import { attempt, StoreError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  type SnapshotMeta,
  type TankSnapshot,
  tankLocationsTable,
  tankSnapshotsTable,
  transferReservationsTable,
} from './schema.ts';

/** One snapshot to write: the server writing it claims the tank at `epoch`. */
export interface NewSnapshot {
  /** Generated when absent. */
  snapshotId?: string;
  tankId: string;
  serverId: string;
  epoch: number;
  frame: number;
  state: unknown;
  /**
   * The tank's journal position the state includes (see `transfer_reservations.seq`): settled
   * reservations of the tank up to it are dropped with the write, as this snapshot covers them.
   */
  journalSeq?: number;
}

export interface SaveResult {
  /** The rows written (without their state). */
  saved: SnapshotMeta[];
  /** Tanks whose rows were refused because this server no longer owns them at that epoch. */
  fenced: string[];
}

/** Six parameters a row; PostgreSQL takes at most 65 535 per statement. */
const ROWS_PER_STATEMENT = 10_000;

const { state: _state, ...metaColumns } = getTableColumns(tankSnapshotsTable);

/** Newest first; the frame breaks ties between snapshots taken in the same millisecond. */
const NEWEST_FIRST = [desc(tankSnapshotsTable.createdAt), desc(tankSnapshotsTable.frame)];

/**
 * Writes many snapshots in one statement, fenced: a row is written only if `tank_locations`
 * still names its server at its epoch. Returns what was written and which tanks were fenced;
 * the caller must stop those tanks.
 *
 * @example
 * ```ts
 * const { fenced } = await saveSnapshots(db, dirty.map((t) => ({
 *   tankId: t.id, serverId: self.id, epoch: t.epoch, frame: t.frame, state: encode(t),
 * })));
 * for (const tankId of fenced) host.stop(tankId, 'moved to another server');
 * ```
 */
export async function saveSnapshots(db: Db, rows: readonly NewSnapshot[]): Promise<SaveResult> {
  // Checked before any chunk is written, so a bad id cannot leave half a batch behind.
  const bad = rows.find((r) => r.snapshotId !== undefined && !isUuid(r.snapshotId));
  if (bad) throw new StoreError('invalid_request', `snapshot id ${bad.snapshotId} is not a uuid`);
  const saved: SnapshotMeta[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    saved.push(...(await saveChunk(db, rows.slice(i, i + ROWS_PER_STATEMENT))));
  }
  const written = new Set(saved.map((s) => s.tankId));
  const fenced = [...new Set(rows.map((r) => r.tankId))].filter((id) => !written.has(id));
  return { saved, fenced };
}

async function saveChunk(db: Db, rows: readonly NewSnapshot[]): Promise<SnapshotMeta[]> {
  // Rows with a malformed tank id cannot match a location; leaving them out keeps the statement
  // valid, and they are reported as fenced like any other row that did not match.
  const valid = rows.filter((r) => isUuid(r.tankId));
  if (valid.length === 0) return [];
  const journalled = valid.filter((r) => (r.journalSeq ?? 0) > 0);
  return attempt(`save ${valid.length} snapshots`, () => {
    const insert = fencedSnapshotInsert(db, valid.map(snapshotParams));
    if (journalled.length === 0) return insert;
    // Only with a row actually written (not fenced) is its tank's journal covered.
    const saved = db.$with('saved').as(insert);
    const covered = sql.join(
      journalled.map((r) => sql`(${r.tankId}::uuid, ${r.journalSeq}::bigint)`),
      sql`, `,
    );
    const r = transferReservationsTable;
    const pruned = db.$with('pruned').as(
      db
        .delete(r)
        .where(
          sql`${r.state} <> 'open' and exists (
            select 1 from ${saved} as s join (values ${covered}) as j(tank_id, seq) on j.tank_id = s.tank_id
            where s.tank_id = ${r.tankId} and ${r.seq} <= j.seq)`,
        )
        .returning({ transferId: r.transferId }),
    );
    return db.with(saved, pruned).select().from(saved);
  });
}

/** A snapshot row as statement parameters; `state` is JSON text. */
function snapshotParams(row: NewSnapshot) {
  return {
    snapshotId: row.snapshotId ?? randomUUID(),
    tankId: row.tankId,
    serverId: row.serverId,
    epoch: row.epoch,
    frame: row.frame,
    state: JSON.stringify(row.state),
  };
}

/** The fenced insert of `rows` (not run); tank ids must be uuids. */
function fencedSnapshotInsert(db: Db, rows: readonly ReturnType<typeof snapshotParams>[]) {
  const values: SQL[] = rows.map(
    (r) =>
      sql`(${r.snapshotId}::uuid, ${r.tankId}::uuid, ${r.serverId}::text, ${r.epoch}::integer, ${r.frame}::bigint, ${r.state}::jsonb)`,
  );
  // Fencing: a snapshot whose (server, epoch) is no longer the tank's location comes from a
  // server that lost the tank, moved elsewhere by a failover while this one was partitioned or
  // stalled. Writing it would fork the tank (two servers each saving their own history), so the
  // row is dropped and the writer told to stop its copy. FOR SHARE locks the location rows until
  // commit: a concurrent moveTank waits for this insert, or this insert sees the move and skips.
  const fencedSelect = sql`
    select v.snapshot_id, v.tank_id, v.server_id, v.epoch, v.frame, v.state, now()
    from (values ${sql.join(values, sql`, `)}) as v(snapshot_id, tank_id, server_id, epoch, frame, state)
    join ${tankLocationsTable} as l
      on l.tank_id = v.tank_id and l.server_id = v.server_id and l.epoch = v.epoch
    for share of l`;
  return db.insert(tankSnapshotsTable).select(fencedSelect).returning(metaColumns);
}

/**
 * A tank's newest snapshot, or undefined.
 *
 * @example
 * ```ts
 * const snapshot = await latestSnapshot(db, tankId);
 * if (snapshot) host.restore(tankId, decode(snapshot.state));
 * ```
 */
export async function latestSnapshot(db: Db, tankId: string): Promise<TankSnapshot | undefined> {
  if (!isUuid(tankId)) return undefined;
  return attempt(`latest snapshot of tank ${tankId}`, async () => {
    const [row] = await db
      .select()
      .from(tankSnapshotsTable)
      .where(eq(tankSnapshotsTable.tankId, tankId))
      .orderBy(...NEWEST_FIRST)
      .limit(1);
    return row;
  });
}

/**
 * The newest snapshot of every tank located on a server (by tank id), whatever server or epoch
 * wrote it: after a failover the new server restores from what the old one saved. Tanks without
 * a snapshot are absent.
 *
 * @example
 * ```ts
 * for (const s of await latestSnapshotsForServer(db, self.id)) host.restore(s.tankId, decode(s.state));
 * ```
 */
export async function latestSnapshotsForServer(db: Db, serverId: string): Promise<TankSnapshot[]> {
  // One index probe per located tank (tank_id, created_at desc … limit 1), rather than reading
  // and sorting every snapshot of those tanks.
  const newest = alias(tankSnapshotsTable, 'newest');
  const newestId = db
    .select({ id: newest.snapshotId })
    .from(newest)
    .where(eq(newest.tankId, tankLocationsTable.tankId))
    .orderBy(desc(newest.createdAt), desc(newest.frame))
    .limit(1);
  const ids = db
    .select({ id: sql`(${newestId})` })
    .from(tankLocationsTable)
    .where(eq(tankLocationsTable.serverId, serverId));
  return attempt(`latest snapshots on server ${serverId}`, () =>
    db
      .select()
      .from(tankSnapshotsTable)
      .where(inArray(tankSnapshotsTable.snapshotId, ids))
      .orderBy(asc(tankSnapshotsTable.tankId)),
  );
}

/**
 * A tank's snapshots, newest first, without their states.
 *
 * @example
 * ```ts
 * const recent = await listSnapshots(db, tankId, { limit: 20 });
 * ```
 */
export async function listSnapshots(
  db: Db,
  tankId: string,
  { limit = 100 }: { limit?: number } = {},
): Promise<SnapshotMeta[]> {
  if (!isUuid(tankId)) return [];
  return attempt(`list snapshots of tank ${tankId}`, () =>
    db
      .select(metaColumns)
      .from(tankSnapshotsTable)
      .where(eq(tankSnapshotsTable.tankId, tankId))
      .orderBy(...NEWEST_FIRST)
      .limit(Math.max(1, Math.trunc(limit))),
  );
}

/**
 * One snapshot with its state, or undefined.
 *
 * @example
 * ```ts
 * const snapshot = await getSnapshot(db, snapshotId);
 * ```
 */
export async function getSnapshot(db: Db, snapshotId: string): Promise<TankSnapshot | undefined> {
  if (!isUuid(snapshotId)) return undefined;
  return attempt(`get snapshot ${snapshotId}`, async () => {
    const [row] = await db
      .select()
      .from(tankSnapshotsTable)
      .where(eq(tankSnapshotsTable.snapshotId, snapshotId));
    return row;
  });
}

/**
 * Deletes all but the newest `keep` snapshots of every tank (or of one tank) and returns how many
 * went. At least one per tank is always kept: it is what a failover restores from.
 *
 * @example
 * ```ts
 * const removed = await pruneSnapshots(db, { keep: 10 });
 * ```
 */
export async function pruneSnapshots(
  db: Db,
  { keep = 10, tankId }: { keep?: number; tankId?: string } = {},
): Promise<number> {
  if (tankId !== undefined && !isUuid(tankId)) return 0;
  const ranked = db
    .select({
      id: tankSnapshotsTable.snapshotId,
      rank: sql<number>`row_number() over (partition by ${tankSnapshotsTable.tankId} order by ${tankSnapshotsTable.createdAt} desc, ${tankSnapshotsTable.frame} desc)`.as(
        'rank',
      ),
    })
    .from(tankSnapshotsTable)
    .where(tankId === undefined ? undefined : eq(tankSnapshotsTable.tankId, tankId))
    .as('ranked');
  const doomed = db
    .select({ id: ranked.id })
    .from(ranked)
    .where(gt(ranked.rank, Math.max(1, Math.trunc(keep))));
  return attempt('prune snapshots', async () => {
    const gone = await db
      .delete(tankSnapshotsTable)
      .where(inArray(tankSnapshotsTable.snapshotId, doomed))
      .returning({ id: tankSnapshotsTable.snapshotId });
    return gone.length;
  });
}
