/**
 * @module
 * What every route of a tank server shares: its id, its tanks, the store, and the caller's
 * permission check. Built once in `createTankServer` and handed to each route group.
 */
import type { Context } from 'hono';
import {
  type AuthEnv,
  type AuthUser,
  ForbiddenError,
  hasLevel,
  type PermissionLevel,
} from '../auth/index.ts';
import { ApiError } from '../http/index.ts';
import { type Db, permissionOf, StoreError } from '../store/index.ts';
import type { Tank, TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { HandedOff, HandOffTarget } from './hand-off.ts';
import type { Snapshotter } from './snapshotter.ts';
import { type TankService, tankNotFound } from './tank-service.ts';

export type ServerEnv = AuthEnv;

export interface ServerContext {
  serverId: string;
  version: string;
  db: Db;
  host: TankHost;
  tanks: TankService;
  snapshotter: Snapshotter;
  /** A live move of one running tank to another server (`hand-off.ts`). */
  handOff: (tankId: string, to: HandOffTarget) => Promise<HandedOff>;
  logger: Logger;
}

/**
 * The caller's level on a tank: the owner is admin (as at the gateway, and with no query, so an
 * owner keeps using their tank while the database is away), else what is granted, else `read`
 * on a public tank. While the grants cannot be read, a public tank is still readable by
 * anyone (a grant holder gets only that until the database is back); a private one is a 503.
 */
export async function levelOf(db: Db, user: AuthUser, tank: Tank): Promise<PermissionLevel | undefined> {
  if (tank.meta.owner !== null && tank.meta.owner === user.userId) return 'admin';
  const isPublic = tank.meta.is_public;
  const granted = await permissionOf(db, { tankId: tank.id, userId: user.userId }).catch((err: unknown) => {
    if (isPublic && err instanceof StoreError && err.code === 'store_unavailable') return undefined;
    throw err;
  });
  return granted ?? (isPublic ? 'read' : undefined);
}

/**
 * Refuses to change a tank whose step threw: its world may be inconsistent, so it is neither
 * run, fed nor saved again until a snapshot is restored over it. Refuses too while a live move
 * holds it frozen: a change then would be lost with the snapshot already saved (503, retry).
 */
export function assertNotFailed(tank: Tank): Tank {
  if (tank.status === 'failed') {
    throw new ApiError(
      'tank_failed',
      `tank ${tank.id} stopped after an error (${tank.error}); restore a snapshot to run it again`,
    );
  }
  if (tank.frozen) {
    throw new ApiError('tank_moving', `tank ${tank.id} is moving to another server; ask the gateway again`);
  }
  return tank;
}

/**
 * The tank named in the route, when the caller holds `needed` on it: 404 for a tank that is
 * not on this server and, word for word, for one the caller may not read (a 403 there would
 * tell that a private tank exists); 403 for a reader who needs more.
 */
export async function authorizedTank(
  ctx: ServerContext,
  c: Context<ServerEnv>,
  tankId: string,
  needed: PermissionLevel,
): Promise<Tank> {
  const tank = await ctx.tanks.find(tankId);
  const level = await levelOf(ctx.db, c.var.user, tank);
  if (level === undefined) throw tankNotFound(tankId, ctx.serverId);
  if (!hasLevel(level, needed)) {
    throw new ForbiddenError(`${needed} permission on tank ${tankId} is needed; you have ${level ?? 'none'}`);
  }
  return tank;
}
