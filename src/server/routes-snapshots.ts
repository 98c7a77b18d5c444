/**
 * @module
 * REST for a tank's snapshots in Postgres: list them, take one now, restore one.
 */
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { getSnapshot, listSnapshots, type SnapshotMeta } from '../store/index.ts';
import { assertNotFailed, authorizedTank, type ServerContext, type ServerEnv } from './context.ts';
import { TankIdParams } from './routes-tanks.ts';
import { TankStatusSchema, tankView } from './views.ts';

const SnapshotSchema = z
  .object({
    snapshot_id: z.string().uuid(),
    tank_id: z.string().uuid(),
    server_id: z.string(),
    epoch: z.number().int(),
    frame: z.number().int(),
    created_at: z.string(),
  })
  .openapi('Snapshot');

function snapshotView(s: SnapshotMeta): z.infer<typeof SnapshotSchema> {
  return {
    snapshot_id: s.snapshotId,
    tank_id: s.tankId,
    server_id: s.serverId,
    epoch: s.epoch,
    frame: s.frame,
    created_at: s.createdAt.toISOString(),
  };
}

const listRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/snapshots',
  tags: ['snapshots'],
  summary: "A tank's snapshots, newest first",
  request: {
    params: TankIdParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).optional() }),
  },
  responses: {
    200: {
      description: 'snapshots',
      content: {
        'application/json': {
          schema: z.object({
            tank_id: z.string(),
            snapshots: z.array(SnapshotSchema),
            count: z.number().int(),
          }),
        },
      },
    },
    ...problemResponses(400, 401, 403, 404),
  },
});

const takeRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/snapshots',
  tags: ['snapshots'],
  summary: 'Take a snapshot now (write)',
  request: { params: TankIdParams },
  responses: {
    201: { description: 'taken', content: { 'application/json': { schema: SnapshotSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

const restoreRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/snapshots/{snapshot_id}/restore',
  tags: ['snapshots'],
  summary: 'Put the tank back to a snapshot (admin)',
  request: {
    params: TankIdParams.extend({
      snapshot_id: z.string().openapi({ param: { name: 'snapshot_id', in: 'path' } }),
    }),
  },
  responses: {
    200: { description: 'restored', content: { 'application/json': { schema: TankStatusSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export function registerSnapshotRoutes(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  app.openapi(listRoute, async (c) => {
    const { id } = c.req.valid('param');
    await authorizedTank(ctx, c, id, 'read');
    const snapshots = (await listSnapshots(ctx.db, id, { limit: c.req.valid('query').limit ?? 20 })).map(
      snapshotView,
    );
    return c.json({ tank_id: id, snapshots, count: snapshots.length }, 200);
  });

  app.openapi(takeRoute, async (c) => {
    const { id } = c.req.valid('param');
    const tank = assertNotFailed(await authorizedTank(ctx, c, id, 'write'));
    const saved = await ctx.snapshotter.flush({ tanks: [tank] });
    if (saved === 0) throw new ApiError('stale_epoch', `tank ${id} has moved to another server`);
    const [latest] = await listSnapshots(ctx.db, id, { limit: 1 });
    // Deleted while the snapshot was written: the delete took the snapshot with it.
    if (!latest) throw new ApiError('tank_not_found', `tank ${id} was deleted`);
    return c.json(snapshotView(latest), 201);
  });

  app.openapi(restoreRoute, async (c) => {
    const { id, snapshot_id } = c.req.valid('param');
    const tank = await authorizedTank(ctx, c, id, 'admin');
    const snapshot = await getSnapshot(ctx.db, snapshot_id);
    if (!snapshot || snapshot.tankId !== id)
      throw new ApiError('snapshot_not_found', `tank ${id} has no snapshot ${snapshot_id}`);
    // Inside `exclusive`: no transfer step changes the world (or its journal) while the restored
    // one is reconciled with it, and no snapshot is taken of half a restore.
    await ctx.snapshotter.exclusive([tank.id], () => ctx.tanks.rewind(tank, snapshot));
    ctx.logger.info({ tank_id: id, snapshot_id, frame: tank.world.frame }, 'tank restored from a snapshot');
    return c.json(tankView(tank, ctx.serverId), 200);
  });
}
