/**
 * @module
 * What every route group of the gateway shares, built once in `createGateway`, and the one
 * check routes run before touching a tank: it exists (404) and the caller holds the level
 * (403), answered from the caches on the hot path.
 */
import type { Context } from 'hono';
import type { AuthEnv, PermissionLevel } from '../auth/index.ts';
import type { Discovery } from '../discovery/index.ts';
import type { AccessLogLevel } from '../http/index.ts';
import type { Limits } from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { Db } from '../store/index.ts';
import type { Logger, Registry } from '../telemetry/index.ts';
import { type Access, tankNotFound } from './access.ts';
import type { TankCache } from './cache.ts';
import type { TankCreator } from './create-tank.ts';
import type { ServerDirectory } from './directory.ts';
import type { EventHub } from './events.ts';
import type { TankImporter } from './import-tank.ts';
import type { LiveMover } from './live-move.ts';
import type { LoadView } from './load-view.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { TankProxy } from './proxy.ts';
import type { TankRecord } from './views.ts';

export type GatewayEnv = AuthEnv;

export interface GatewayContext {
  gatewayId: string;
  version: string;
  startedAt: Date;
  db: Db;
  discovery: Discovery;
  realtime: Realtime;
  directory: ServerDirectory;
  cache: TankCache;
  access: Access;
  creator: TankCreator;
  /** Tank archives coming back (`POST /api/tanks/import`). */
  importer: TankImporter;
  proxy: TankProxy;
  /** Live moves and drains (`live-move.ts`). */
  mover: LiveMover;
  hub: EventHub;
  loads: LoadView;
  /** Quotas and rate limits (none unless the gateway was given some). */
  limits: Limits;
  registry: Registry;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Level of the access log (`ACCESS_LOG_LEVEL`). */
  accessLogLevel?: AccessLogLevel;
}

/**
 * The tank named by the route when the caller (set by `bearerAuth`) holds `needed` on it:
 * `tank_not_found` (404) for an unknown tank and for one the caller may not read at all (so a
 * private tank's existence is not revealed), `ForbiddenError` (403) for a reader who needs more.
 *
 * @example
 * ```ts
 * const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'write');
 * ```
 */
export async function authorizedTank(
  ctx: GatewayContext,
  c: Context<GatewayEnv>,
  tankId: string,
  needed: PermissionLevel,
): Promise<TankRecord> {
  const record = await ctx.cache.get(tankId);
  if (!record) throw tankNotFound(tankId);
  await ctx.access.require(c.var.user, record, needed);
  return record;
}
