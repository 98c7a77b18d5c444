/**
 * @module
 * The gateway's view of the tank servers: kept current by a discovery watch, so a lookup reads
 * a map instead of asking Consul. Each change is diffed into servers that came up and servers
 * that went down (critical, or gone from the registry); the gateway publishes those as
 * `server_up` / `server_down` events and the lookup cache and failover react to them. When
 * discovery cannot be reached at start, the view is seeded from the `servers` table (seed:
 * graceful degradation), and a watch that loses Consul keeps its last view.
 */
import type { CheckStatus, Discovery, ServerInstance, WatchHandle } from '../discovery/index.ts';
import type { Realtime } from '../realtime/index.ts';
import { type Db, listServers, type Server, type ServerStatus, setServerStatus } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';

/** What changed between two views. */
export interface DirectoryChange {
  /** Servers that are now healthy (passing or warning) and were not before. */
  up: string[];
  /** Servers that were healthy and are now critical or gone. */
  down: string[];
}

export interface ServerDirectory {
  /** Starts the watch and waits (at most `firstViewTimeoutMs`) for the first view. */
  start(): Promise<void>;
  stop(): Promise<void>;
  get(serverId: string): ServerInstance | undefined;
  /** Every known server, critical ones included, sorted by id. */
  all(): ServerInstance[];
  /** Passing and warning servers. */
  healthy(): ServerInstance[];
  /** True when the server is known and not critical: its tanks can be reached. */
  isAvailable(serverId: string): boolean;
  /**
   * True when the server's own heartbeat check is critical or it left the registry: its lease
   * is running out or gone (failover counts from this, not from a sidecar's check).
   */
  heartbeatFailed(serverId: string): boolean;
  /** Grows with every change, so memoised answers built on the view know they are stale. */
  readonly version: number;
  /** Calls `listener` after every change of the view; returns the function that stops it. */
  onChange(listener: (change: DirectoryChange) => void): () => void;
}

export interface ServerDirectoryOptions {
  discovery: Discovery;
  db: Db;
  realtime: Realtime;
  logger: Logger;
  /** Publish `server_up` / `server_down` for changes after the first view. */
  publishEvents?: boolean;
  firstViewTimeoutMs?: number;
}

const TABLE_STATUS = { online: 'passing', degraded: 'warning', offline: 'critical' } as const;

/** A `servers` row as discovery would show it; used only while discovery is out of reach. */
function fromRow(row: Server): ServerInstance {
  return {
    serverId: row.serverId,
    address: row.host,
    port: row.port,
    region: row.region ?? 'unknown',
    zone: row.zone ?? 'unknown',
    version: row.version,
    capabilities: [],
    publicUrl: row.publicUrl ?? `http://${row.host}:${row.port}`,
    wsUrl: row.wsUrl ?? `ws://${row.host}:${row.port}`,
    startedAt: row.registeredAt.toISOString(),
    status: TABLE_STATUS[row.status],
    lastOutput: '',
  };
}

const STATUS_OF: Record<CheckStatus, ServerStatus> = {
  passing: 'online',
  warning: 'degraded',
  critical: 'offline',
};

const healthy = (s: ServerInstance | undefined) => s !== undefined && s.status !== 'critical';

/**
 * @example
 * ```ts
 * const directory = createServerDirectory({ discovery, db, realtime, logger });
 * await directory.start();
 * directory.onChange(({ down }) => down.forEach(scheduleFailover));
 * const server = directory.get(location.serverId);
 * ```
 */
export function createServerDirectory({
  discovery,
  db,
  realtime,
  logger,
  publishEvents = true,
  firstViewTimeoutMs = 3000,
}: ServerDirectoryOptions): ServerDirectory {
  let view = new Map<string, ServerInstance>();
  let sorted: ServerInstance[] = [];
  let healthyList: ServerInstance[] = [];
  let version = 0;
  let seen = false;
  let handle: WatchHandle | undefined;
  let stopped = false;
  const listeners = new Set<(change: DirectoryChange) => void>();
  let firstView: (() => void) | undefined;

  function apply(servers: ServerInstance[], { announce }: { announce: boolean }): void {
    const previous = view;
    const next = new Map(servers.map((s) => [s.serverId, s]));
    const change: DirectoryChange = { up: [], down: [] };
    for (const [id, s] of next) if (healthy(s) && !healthy(view.get(id))) change.up.push(id);
    for (const [id, s] of view) if (healthy(s) && !healthy(next.get(id))) change.down.push(id);
    view = next;
    sorted = [...next.values()].sort((a, b) => a.serverId.localeCompare(b.serverId));
    healthyList = sorted.filter((s) => s.status !== 'critical');
    version++;
    if (change.up.length > 0 || change.down.length > 0) {
      logger.info({ up: change.up, down: change.down, servers: sorted.length }, 'tank servers changed');
    }
    if (announce && publishEvents) announceChange(change);
    mirror(servers, previous);
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (err) {
        logger.error({ err }, 'directory listener threw');
      }
    }
  }

  /**
   * The `servers` table mirrors what discovery says, for history and for degraded mode: a server
   * records its own heartbeats, but only a watcher can record that it went critical or vanished.
   */
  function mirror(servers: ServerInstance[], previous: Map<string, ServerInstance>): void {
    const gone = [...previous.keys()].filter((id) => !servers.some((s) => s.serverId === id));
    const changed = servers.filter((s) => previous.get(s.serverId)?.status !== s.status);
    const writes = [
      ...changed.map((s) => ({ serverId: s.serverId, status: STATUS_OF[s.status] })),
      ...gone.map((serverId) => ({ serverId, status: 'offline' as const })),
    ];
    for (const write of writes) {
      setServerStatus(db, write).catch((err) =>
        logger.debug({ err: (err as Error).message, server_id: write.serverId }, 'servers table not updated'),
      );
    }
  }

  function announceChange({ up, down }: DirectoryChange): void {
    const at = new Date().toISOString();
    const events = [
      ...up.map((id) => ({ type: 'server_up' as const, server_id: id, at })),
      ...down.map((id) => ({ type: 'server_down' as const, server_id: id, at })),
    ];
    for (const event of events) {
      realtime
        .publish(event)
        .catch((err) => logger.warn({ err: (err as Error).message }, 'could not publish server event'));
    }
  }

  function onWatch(servers: ServerInstance[]): void {
    if (stopped) return;
    // The first view is the state of the network, not news: nothing came up or went down.
    apply(servers, { announce: seen });
    seen = true;
    firstView?.();
  }

  async function seedFromTable(): Promise<void> {
    try {
      const rows = await listServers(db);
      if (!seen) apply(rows.map(fromRow), { announce: false });
      logger.warn({ servers: rows.length }, 'discovery gave no view yet: serving from the servers table');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'neither discovery nor the servers table answered');
    }
  }

  return {
    async start() {
      const arrived = new Promise<void>((resolve) => {
        firstView = resolve;
      });
      handle = await discovery.watch(onWatch);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), firstViewTimeoutMs);
      });
      const first = await Promise.race([arrived, timedOut]);
      clearTimeout(timer);
      if (first === 'timeout') await seedFromTable();
    },
    async stop() {
      stopped = true;
      handle?.stop();
      handle = undefined;
      listeners.clear();
    },
    get: (serverId) => view.get(serverId),
    all: () => sorted,
    healthy: () => healthyList,
    isAvailable: (serverId) => healthy(view.get(serverId)),
    heartbeatFailed(serverId) {
      const server = view.get(serverId);
      return server === undefined || (server.heartbeat ?? server.status) === 'critical';
    },
    get version() {
      return version;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
