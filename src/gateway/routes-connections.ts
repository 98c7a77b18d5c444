/**
 * @module
 * Tubes between tanks (`tank_connections`): made by an admin of the source tank into a tank
 * that takes transfers (or is the same owner's), listed with each tank and network-wide, cut
 * by an admin of either end. Each change is published (`connection_changed`) so the servers of
 * both tanks read their tubes again.
 */
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import {
  ConflictError,
  createConnection,
  deleteConnection,
  listConnections,
  MOUTHS,
  NotFoundError,
  type TankConnection,
  TUBE_DIRECTIONS,
} from '../store/index.ts';
import { ConnectionSchema, connectionView, oppositeMouth } from '../tubes/index.ts';
import { tankNotFound } from './access.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { announceTube, tubeDestination } from './tube-rules.ts';
import { TankIdParams } from './views.ts';

export const CreateConnectionBody = z
  .object({
    to_tank_id: z.string().uuid(),
    mouth: z.enum(MOUTHS).optional().openapi({ description: "The source tank's edge (default right)" }),
    dest_mouth: z
      .enum(MOUTHS)
      .optional()
      .openapi({ description: "The dest tank's edge (default: across from `mouth`)" }),
    direction: z.enum(TUBE_DIRECTIONS).optional().openapi({ description: 'one_way (default) or both' }),
    rate_per_minute: z.number().int().min(1).max(600).optional().openapi({ description: 'Default 60' }),
  })
  .strict()
  .openapi('CreateConnection');

const ConnectionList = z.object({ connections: z.array(ConnectionSchema) });

const ConnectionParams = TankIdParams.extend({
  connection_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'connection_id', in: 'path' } }),
});

const createConnectionRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/connections',
  tags: ['connections'],
  summary:
    'Connect this tank to another by a tube (admin of this tank; the other takes transfers or is yours)',
  request: {
    params: TankIdParams,
    body: { required: true, content: { 'application/json': { schema: CreateConnectionBody } } },
  },
  responses: {
    201: { description: 'connected', content: { 'application/json': { schema: ConnectionSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 503),
  },
});

const tankConnectionsRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/connections',
  tags: ['connections'],
  summary: "The tank's tubes, at either end (read; tubes to tanks you may not read are left out)",
  request: { params: TankIdParams },
  responses: {
    200: { description: 'tubes', content: { 'application/json': { schema: ConnectionList } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

const deleteConnectionRoute = createRoute({
  method: 'delete',
  path: '/api/tanks/{id}/connections/{connection_id}',
  tags: ['connections'],
  summary: 'Cut a tube (admin of either of its tanks)',
  request: { params: ConnectionParams },
  responses: {
    204: { description: 'cut' },
    ...problemResponses(401, 403, 404, 503),
  },
});

const networkConnectionsRoute = createRoute({
  method: 'get',
  path: '/api/connections',
  tags: ['connections'],
  summary: 'Every tube in the network whose two tanks you may read, oldest first, a page at a time',
  request: {
    query: z
      .object({
        limit: z.coerce.number().int().min(1).max(500).optional(),
        cursor: z.string().max(400).optional(),
      })
      .strict(),
  },
  responses: {
    200: {
      description: 'a page of tubes',
      content: {
        'application/json': { schema: ConnectionList.extend({ next_cursor: z.string().nullable() }) },
      },
    },
    ...problemResponses(400, 401, 503),
  },
});

export function registerConnectionRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(createConnectionRoute, async function connectTanks(c) {
    const source = await authorizedTank(ctx, c, c.req.valid('param').id, 'admin');
    const body = c.req.valid('json');
    if (body.to_tank_id === source.tankId)
      throw new ApiError('same_tank', 'a tube cannot lead from a tank into itself');
    const dest = await tubeDestination(ctx, c.var.user, body.to_tank_id, source.owner);
    const mouth = body.mouth ?? 'right';
    let row: TankConnection;
    try {
      row = await createConnection(ctx.db, {
        sourceTankId: source.tankId,
        destTankId: dest.tankId,
        sourceMouth: mouth,
        destMouth: body.dest_mouth ?? oppositeMouth(mouth),
        direction: body.direction ?? 'one_way',
        ratePerMinute: body.rate_per_minute ?? 60,
        createdBy: c.var.user.userId,
      });
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new ApiError(
          'connection_exists',
          `a tube from ${source.tankId} to ${dest.tankId} exists already`,
        );
      }
      // The foreign key: one of the tanks was deleted meanwhile.
      if (err instanceof NotFoundError) throw tankNotFound(dest.tankId);
      throw err;
    }
    await announceTube(ctx, row, 'created');
    return c.json(connectionView(row), 201);
  });

  app.openapi(tankConnectionsRoute, async function tankConnections(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'read');
    const page = await listConnections(ctx.db, {
      visibleTo: c.var.user.userId,
      tankId: record.tankId,
      limit: 1000,
    });
    return c.json({ connections: page.items.map(connectionView) }, 200);
  });

  app.openapi(deleteConnectionRoute, async function cutTube(c) {
    const { id, connection_id: connectionId } = c.req.valid('param');
    const record = await authorizedTank(ctx, c, id, 'admin');
    const row = await deleteConnection(ctx.db, { tankId: record.tankId, connectionId });
    if (!row) throw new ApiError('connection_not_found', `tank ${record.tankId} has no tube ${connectionId}`);
    await announceTube(ctx, row, 'deleted');
    return c.body(null, 204) as never;
  });

  app.openapi(networkConnectionsRoute, async function networkConnections(c) {
    const q = c.req.valid('query');
    const page = await listConnections(ctx.db, {
      visibleTo: c.var.user.userId,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ connections: page.items.map(connectionView), next_cursor: page.nextCursor }, 200);
  });
}

/**
 * The tank's JSON from its server with its tubes added (`connections`), as the gateway answers
 * `GET /api/tanks/{id}`. While the store cannot be read the server's answer goes as is, without
 * the field, rather than failing a read the server could answer.
 */
export async function withConnections(
  ctx: GatewayContext,
  userId: string,
  tankId: string,
  answer: Response,
): Promise<Response> {
  if (!answer.ok || !answer.headers.get('content-type')?.includes('application/json')) return answer;
  const body = (await answer.json()) as Record<string, unknown>;
  try {
    const page = await listConnections(ctx.db, { visibleTo: userId, tankId, limit: 1000 });
    body.connections = page.items.map(connectionView);
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message, tank_id: tankId }, 'tank answered without its tubes');
  }
  const headers = new Headers(answer.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify(body), { status: answer.status, headers });
}
