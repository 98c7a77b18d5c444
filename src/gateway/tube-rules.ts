/**
 * @module
 * What a tube needs at the gateway, whichever way it is made (`POST …/connections` or a create
 * with `connect_to`): the destination's check, and the event that tells the tanks' servers (and
 * SSE readers) that a tube was made or cut.
 */
import type { AuthUser } from '../auth/index.ts';
import { ApiError } from '../http/index.ts';
import type { TankConnection } from '../store/index.ts';
import { tankNotFound } from './access.ts';
import type { GatewayContext } from './context.ts';
import type { TankRecord } from './views.ts';

/**
 * The destination, when `user` may read it and a tube may lead into it from a tank owned by
 * `sourceOwner`: it takes transfers, or both tanks have the same owner.
 */
export async function tubeDestination(
  ctx: GatewayContext,
  user: AuthUser,
  destId: string,
  sourceOwner: string | null,
): Promise<TankRecord> {
  const dest = await ctx.cache.get(destId);
  // A tank the caller may not read answers as one that does not exist (as everywhere).
  if (!dest || !(await ctx.access.levelOf(user, dest))) throw tankNotFound(destId);
  const sameOwner = sourceOwner !== null && sourceOwner === dest.owner;
  if (!dest.allowTransfers && !sameOwner) {
    throw new ApiError('transfers_not_allowed', `tank ${destId} takes no transfers and is not its owner's`);
  }
  return dest;
}

/** Tells every server of the two tanks (and SSE readers) that a tube was made or cut. */
export async function announceTube(
  ctx: GatewayContext,
  row: TankConnection,
  change: 'created' | 'deleted',
): Promise<void> {
  await ctx.realtime
    .publish({
      type: 'connection_changed',
      change,
      connection_id: row.connectionId,
      source_tank_id: row.sourceTankId,
      dest_tank_id: row.destTankId,
      at: new Date().toISOString(),
    })
    .catch((err) =>
      ctx.logger.warn(
        { err: (err as Error).message, connection_id: row.connectionId },
        'could not publish connection_changed; servers see it at their next tube refresh',
      ),
    );
}
