/**
 * @module
 * The JSON shapes the gateway answers with (snake_case: a public contract), their zod
 * schemas for the generated OpenAPI document, and the builders that turn the gateway's records
 * into them.
 */
import type { ServerInstance } from '../discovery/index.ts';
import { z } from '../http/index.ts';
import type { ServerLoad, TankStats } from '../realtime/index.ts';
import type { TankLocation, TankRow } from '../store/index.ts';

/**
 * What the gateway knows of a tank without asking its server: the `tanks` row and where it runs.
 * `serverId` is null for a tank whose location row is missing (never the case for a tank created
 * through a server, which writes both in one transaction).
 */
export interface TankRecord {
  tankId: string;
  name: string;
  description: string;
  owner: string | null;
  isPublic: boolean;
  allowTransfers: boolean;
  seed: number | null;
  createdAt: string;
  serverId: string | null;
  epoch: number;
}

/**
 * A record from the store's rows.
 *
 * @example
 * ```ts
 * const record = toRecord(await getTank(db, id), await getLocation(db, id));
 * ```
 */
export function toRecord(tank: TankRow, location: TankLocation | null | undefined): TankRecord {
  return {
    tankId: tank.tankId,
    name: tank.name,
    description: tank.description,
    owner: tank.owner,
    isPublic: tank.isPublic,
    allowTransfers: tank.allowTransfers,
    seed: tank.seed,
    createdAt: tank.createdAt.toISOString(),
    serverId: location?.serverId ?? null,
    epoch: location?.epoch ?? 0,
  };
}

export const TankIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: '9b2f7c1e-8a1d-4a51-9d1c-2f0f4a7c1b3e' }),
});

export const GatewayTankSchema = z
  .object({
    tank_id: z.string().uuid(),
    name: z.string(),
    description: z.string(),
    owner: z.string().nullable(),
    server_id: z.string().nullable(),
    is_public: z.boolean(),
    allow_transfers: z.boolean(),
    seed: z.number().int().nullable(),
    created_at: z.string(),
    epoch: z.number().int(),
  })
  .openapi('GatewayTank');

export const ServerRefSchema = z
  .object({ server_id: z.string(), host: z.string(), port: z.number().int() })
  .openapi('ServerRef');

/** The `GET /gateway/tanks/{tank_id}` answer: exactly these three members, a public contract. */
export const LookupSchema = z
  .object({ tank: GatewayTankSchema, server: ServerRefSchema, websocket_url: z.string() })
  .openapi('TankLookup');

export type LookupView = z.infer<typeof LookupSchema>;

export function tankView(record: TankRecord): z.infer<typeof GatewayTankSchema> {
  return {
    tank_id: record.tankId,
    name: record.name,
    description: record.description,
    owner: record.owner,
    server_id: record.serverId,
    is_public: record.isPublic,
    allow_transfers: record.allowTransfers,
    seed: record.seed,
    created_at: record.createdAt,
    epoch: record.epoch,
  };
}

export function serverRef(server: ServerInstance): z.infer<typeof ServerRefSchema> {
  return { server_id: server.serverId, host: server.address, port: server.port };
}

/** Where a browser watches a tank: its server's WebSocket base plus `/ws/<tank_id>`. */
export function websocketUrl(server: ServerInstance, tankId: string): string {
  return `${server.wsUrl.replace(/\/+$/, '')}/ws/${encodeURIComponent(tankId)}`;
}

/**
 * The lookup answer for a tank on an available server.
 *
 * @example
 * ```ts
 * c.json(lookupView(record, directory.get(record.serverId)!));
 * ```
 */
export function lookupView(record: TankRecord, server: ServerInstance): LookupView {
  return {
    tank: tankView(record),
    server: serverRef(server),
    websocket_url: websocketUrl(server, record.tankId),
  };
}

export const LiveStatsSchema = z
  .object({
    frame: z.number().int(),
    fish_count: z.number().int(),
    generation: z.number().int(),
    max_generation: z.number().int(),
    total_energy: z.number(),
    fish_energy: z.number(),
    plant_energy: z.number(),
    client_count: z.number().int(),
    updated_at: z.string(),
  })
  .openapi('LiveTankStats');

export const ListedTankSchema = z
  .object({
    tank: GatewayTankSchema,
    server: ServerRefSchema.nullable(),
    websocket_url: z.string().nullable(),
    available: z.boolean(),
    stats: LiveStatsSchema.nullable(),
  })
  .openapi('ListedTank');

export type ListedTank = z.infer<typeof ListedTankSchema>;

function liveStats(stats: TankStats | undefined): z.infer<typeof LiveStatsSchema> | null {
  if (!stats) return null;
  return {
    frame: stats.frame,
    fish_count: stats.fish_count,
    generation: stats.generation,
    max_generation: stats.max_generation,
    total_energy: stats.total_energy,
    fish_energy: stats.fish_energy,
    plant_energy: stats.plant_energy,
    client_count: stats.client_count,
    updated_at: stats.updated_at,
  };
}

/**
 * One tank of the network-wide listing: `available` is false while its server is critical or
 * unknown to discovery, and then `server` and `websocket_url` are what was last known, if any.
 */
export function listedView(
  record: TankRecord,
  server: ServerInstance | undefined,
  available: boolean,
  stats: TankStats | undefined,
): ListedTank {
  return {
    tank: tankView(record),
    server: server ? serverRef(server) : null,
    websocket_url: server ? websocketUrl(server, record.tankId) : null,
    available,
    stats: available ? liveStats(stats) : null,
  };
}

export const ServerViewSchema = z
  .object({
    server_id: z.string(),
    host: z.string(),
    port: z.number().int(),
    region: z.string(),
    zone: z.string(),
    version: z.string(),
    status: z.enum(['online', 'degraded', 'offline']),
    health: z.enum(['passing', 'warning', 'critical']),
    capabilities: z.array(z.string()),
    public_url: z.string(),
    ws_url: z.string(),
    started_at: z.string(),
    tank_count: z.number().int(),
    load: z
      .object({
        tank_count: z.number(),
        cpu_percent: z.number(),
        memory_mb: z.number(),
        ws_connections: z.number(),
        ticks_behind: z.number(),
        updated_at: z.string().nullable(),
      })
      .nullable(),
  })
  .openapi('NetworkServer');

export type ServerView = z.infer<typeof ServerViewSchema>;

const STATUS_WORD = { passing: 'online', warning: 'degraded', critical: 'offline' } as const;

/**
 * A server as `GET /api/servers` shows it: discovery's view, the live load from real-time state
 * (else the load in its last heartbeat output), and its tank count from `tank_locations`.
 */
export function serverView(
  server: ServerInstance,
  load: ServerLoad | undefined,
  tankCount: number,
): ServerView {
  const beat = load ?? (server.load ? { ...server.load, updated_at: null } : undefined);
  return {
    server_id: server.serverId,
    host: server.address,
    port: server.port,
    region: server.region,
    zone: server.zone,
    version: server.version,
    status: STATUS_WORD[server.status],
    health: server.status,
    capabilities: server.capabilities,
    public_url: server.publicUrl,
    ws_url: server.wsUrl,
    started_at: server.startedAt,
    tank_count: tankCount,
    load: beat
      ? {
          tank_count: beat.tank_count,
          cpu_percent: beat.cpu_percent,
          memory_mb: beat.memory_mb,
          ws_connections: beat.ws_connections,
          ticks_behind: beat.ticks_behind,
          updated_at: beat.updated_at,
        }
      : null,
  };
}
