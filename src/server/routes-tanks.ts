/**
 * @module
 * REST for the tanks of this server: list, create, get, delete, pause and resume.
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { assertNotFailed, authorizedTank, levelOf, type ServerContext, type ServerEnv } from './context.ts';
import { TankStatusSchema, tankView } from './views.ts';

const TankIdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, example: '9b2f7c1e-8a1d-4a51-9d1c-2f0f4a7c1b3e' }),
});

export const CreateTankBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    is_public: z.boolean().optional(),
    allow_transfers: z.boolean().optional(),
    initial_fish: z.number().int().min(0).max(100).optional(),
  })
  .strict()
  .openapi('CreateTank');

const listTanks = createRoute({
  method: 'get',
  path: '/api/tanks',
  tags: ['tanks'],
  summary: 'Tanks on this server the caller may read',
  request: { query: z.object({ include_private: z.enum(['true', 'false']).optional() }) },
  responses: {
    200: {
      description: 'tanks',
      content: {
        'application/json': {
          schema: z.object({
            tanks: z.array(TankStatusSchema),
            count: z.number().int(),
            server_id: z.string(),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

const createTankRoute = createRoute({
  method: 'post',
  path: '/api/tanks',
  tags: ['tanks'],
  summary: 'Create a tank on this server (the caller becomes its admin)',
  request: { body: { required: true, content: { 'application/json': { schema: CreateTankBody } } } },
  responses: {
    201: { description: 'created', content: { 'application/json': { schema: TankStatusSchema } } },
    ...problemResponses(400, 401, 413, 503),
  },
});

const getTankRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}',
  tags: ['tanks'],
  summary: 'One tank',
  request: { params: TankIdParams },
  responses: {
    200: { description: 'the tank', content: { 'application/json': { schema: TankStatusSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

const deleteTankRoute = createRoute({
  method: 'delete',
  path: '/api/tanks/{id}',
  tags: ['tanks'],
  summary: 'Delete a tank (admin)',
  request: { params: TankIdParams },
  responses: {
    200: {
      description: 'deleted',
      content: { 'application/json': { schema: z.object({ message: z.string(), tank_id: z.string() }) } },
    },
    ...problemResponses(401, 403, 404),
  },
});

function lifecycleRoute(action: 'pause' | 'resume') {
  return createRoute({
    method: 'post',
    path: `/api/tanks/{id}/${action}`,
    tags: ['tanks'],
    summary: `${action === 'pause' ? 'Pause' : 'Resume'} a tank (write)`,
    request: { params: TankIdParams },
    responses: {
      200: { description: 'the tank', content: { 'application/json': { schema: TankStatusSchema } } },
      ...problemResponses(401, 403, 404, 409),
    },
  });
}

export function registerTankRoutes(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  app.openapi(listTanks, async (c) => {
    const includePrivate = c.req.valid('query').include_private === 'true';
    const visible = [];
    for (const tank of ctx.host.list()) {
      if (!tank.meta.is_public && !includePrivate) continue;
      if (await levelOf(ctx.db, c.var.user, tank)) visible.push(tankView(tank, ctx.serverId));
    }
    return c.json({ tanks: visible, count: visible.length, server_id: ctx.serverId }, 200);
  });

  app.openapi(createTankRoute, async (c) => {
    const body = c.req.valid('json');
    const tank = await ctx.tanks.create({
      name: body.name,
      description: body.description,
      owner: c.var.user.userId,
      seed: body.seed,
      isPublic: body.is_public,
      allowTransfers: body.allow_transfers,
      initialFish: body.initial_fish,
    });
    return c.json(tankView(tank, ctx.serverId), 201);
  });

  app.openapi(getTankRoute, async (c) => {
    const tank = await authorizedTank(ctx, c, c.req.valid('param').id, 'read');
    return c.json(tankView(tank, ctx.serverId), 200);
  });

  app.openapi(deleteTankRoute, async (c) => {
    const { id } = c.req.valid('param');
    await authorizedTank(ctx, c, id, 'admin');
    await ctx.tanks.remove(id);
    return c.json({ message: `Tank ${id} deleted`, tank_id: id }, 200);
  });

  app.openapi(lifecycleRoute('pause'), async (c) => {
    const tank = assertNotFailed(await authorizedTank(ctx, c, c.req.valid('param').id, 'write'));
    tank.pause();
    return c.json(tankView(tank, ctx.serverId), 200);
  });

  app.openapi(lifecycleRoute('resume'), async (c) => {
    const tank = assertNotFailed(await authorizedTank(ctx, c, c.req.valid('param').id, 'write'));
    tank.resume();
    return c.json(tankView(tank, ctx.serverId), 200);
  });
}

export { TankIdParams };
