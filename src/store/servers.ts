/**
 * @module
 * Queries on `servers`: what discovery last saw of each tank server. The gateway reads this
 * table when Consul cannot answer.
 */
import { asc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, NotFoundError } from './errors.ts';
import { type NewServer, type Server, type ServerStatus, type StoredLoad, serversTable } from './schema.ts';

/** A server as discovery reports it; `registeredAt` is kept from the first registration. */
export type ServerInput = Omit<NewServer, 'registeredAt' | 'lastSeen'>;

/** Columns a re-registration replaces: all but the id and the first registration time. */
const REFRESHED = [
  'hostname',
  'host',
  'port',
  'region',
  'zone',
  'version',
  'status',
  'publicUrl',
  'wsUrl',
  'load',
] as const;

/** `SET col = excluded.col` for each refreshed column, so a field left out is reset, not kept. */
function refreshedColumns(): Record<(typeof REFRESHED)[number] | 'lastSeen', SQL> {
  const set = Object.fromEntries(
    REFRESHED.map((key) => [key, sql.raw(`excluded."${serversTable[key].name}"`)]),
  );
  return { ...(set as Record<(typeof REFRESHED)[number], SQL>), lastSeen: sql`now()` };
}

/**
 * Inserts a server or replaces every field of the one with that id (a field left out gets its
 * default again); `last_seen` becomes now, `registered_at` stays as first written.
 *
 * @example
 * ```ts
 * await upsertServer(db, { serverId: 'srv-1', hostname: 'tank-1', host: '10.0.1.5', port: 8000,
 *   version: '2.0.0', region: 'us-east-1', zone: 'us-east-1a', status: 'online' });
 * ```
 */
export async function upsertServer(db: Db, server: ServerInput): Promise<Server> {
  return attempt(`upsert server ${server.serverId}`, async () => {
    const [row] = await db
      .insert(serversTable)
      .values(server)
      .onConflictDoUpdate({ target: serversTable.serverId, set: refreshedColumns() })
      .returning();
    return row!;
  });
}

/**
 * Records a heartbeat: the server is online, seen now, with this load.
 *
 * @example
 * ```ts
 * await recordHeartbeat(db, { serverId: 'srv-1', load: { tank_count: 5, cpu_percent: 45.2 } });
 * ```
 */
export async function recordHeartbeat(
  db: Db,
  { serverId, load }: { serverId: string; load: StoredLoad },
): Promise<Server> {
  return attempt(`heartbeat of server ${serverId}`, async () => {
    const [row] = await db
      .update(serversTable)
      .set({ load, status: 'online', lastSeen: sql`now()` })
      .where(eq(serversTable.serverId, serverId))
      .returning();
    if (!row) throw new NotFoundError(`no server ${serverId}`);
    return row;
  });
}

/**
 * Sets a server's status (discovery saw its check go critical, or it deregistered) without
 * touching `last_seen`, which keeps saying when it was last heard from.
 *
 * @example
 * ```ts
 * await setServerStatus(db, { serverId: 'srv-1', status: 'offline' });
 * ```
 */
export async function setServerStatus(
  db: Db,
  { serverId, status }: { serverId: string; status: ServerStatus },
): Promise<Server> {
  return attempt(`set status of server ${serverId}`, async () => {
    const [row] = await db
      .update(serversTable)
      .set({ status })
      .where(eq(serversTable.serverId, serverId))
      .returning();
    if (!row) throw new NotFoundError(`no server ${serverId}`);
    return row;
  });
}

/**
 * One server, or undefined.
 *
 * @example
 * ```ts
 * const server = await getServer(db, 'srv-1');
 * ```
 */
export async function getServer(db: Db, serverId: string): Promise<Server | undefined> {
  return attempt(`get server ${serverId}`, async () => {
    const [row] = await db.select().from(serversTable).where(eq(serversTable.serverId, serverId));
    return row;
  });
}

/**
 * Servers ordered by id, optionally only those with one status.
 *
 * @example
 * ```ts
 * const online = await listServers(db, { status: 'online' });
 * ```
 */
export async function listServers(db: Db, { status }: { status?: ServerStatus } = {}): Promise<Server[]> {
  return attempt('list servers', () =>
    db
      .select()
      .from(serversTable)
      .where(status === undefined ? undefined : eq(serversTable.status, status))
      .orderBy(asc(serversTable.serverId)),
  );
}
