/**
 * @module
 * `POST /api/tanks` with `connect_to`: a new tank joined by a tube to an existing one. The tube
 * is checked before anything is made (the caller may read the other tank, which takes transfers
 * or is the caller's own: the rules of `POST /api/tanks/{id}/connections`), placement is told
 * where the other tank runs (`followTubes` puts the new tank beside it when load allows), and
 * the tube is made once the tank exists: a two-way tube from the new tank's right edge to the
 * other's left, at the default rate.
 */
import type { AuthUser } from '../auth/index.ts';
import { createConnection, NotFoundError } from '../store/index.ts';
import { type Connection, connectionView } from '../tubes/index.ts';
import type { GatewayContext } from './context.ts';
import type { CreateTankRequest } from './create-tank.ts';
import { announceTube, tubeDestination } from './tube-rules.ts';
import type { TankRecord } from './views.ts';

/** The tube a `connect_to` create makes. */
export const CONNECT_TO_TUBE = {
  sourceMouth: 'right',
  destMouth: 'left',
  direction: 'both',
  ratePerMinute: 60,
} as const;

/**
 * Makes the tube once the tank exists. The tank stands on its own if this fails (the other tank
 * was deleted meanwhile, the store broke): the answer is still 201, without `connection`, so a
 * client that retries does not make a second tank.
 */
async function connect(
  ctx: GatewayContext,
  record: TankRecord,
  other: TankRecord,
  createdBy: string,
): Promise<Connection | undefined> {
  try {
    const row = await createConnection(ctx.db, {
      sourceTankId: record.tankId,
      destTankId: other.tankId,
      ...CONNECT_TO_TUBE,
      createdBy,
    });
    await announceTube(ctx, row, 'created');
    return connectionView(row);
  } catch (err) {
    const why = err instanceof NotFoundError ? 'the other tank was deleted' : (err as Error).message;
    ctx.logger.warn(
      { tank_id: record.tankId, connect_to: other.tankId, err: why },
      'tank created without its tube',
    );
    return undefined;
  }
}

/**
 * Creates a tank, connected to `connect_to` when the request names it.
 *
 * @example
 * ```ts
 * const { record, connection } = await createTankConnected(ctx, c.var.user, { name: 'Reef 2', connect_to: reefId });
 * ```
 */
export async function createTankConnected(
  ctx: GatewayContext,
  user: AuthUser,
  { connect_to: connectTo, ...request }: CreateTankRequest & { connect_to?: string },
): Promise<{ record: TankRecord; connection?: Connection }> {
  if (connectTo === undefined) return { record: await ctx.creator.create(request, user.userId) };
  const other = await tubeDestination(ctx, user, connectTo, user.userId);
  const peers = other.serverId === null ? {} : { [other.serverId]: 1 };
  const record = await ctx.creator.create(request, user.userId, { peers });
  return { record, connection: await connect(ctx, record, other, user.userId) };
}
