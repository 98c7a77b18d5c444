/**
 * @module
 * REST for what lives in a tank: its entities (all, or one by id or uid), spawning fish
 * (optionally with a genome) and food, and its statistics.
 */
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { type EntityView, GENE_KEYS, GENOME_RANGES, listEntities, spawnFood } from '../sim/index.ts';
import { assertNotFailed, authorizedTank, type ServerContext, type ServerEnv } from './context.ts';
import { TankIdParams } from './routes-tanks.ts';
import { statsView, TankStatsSchema } from './views.ts';

/** The genome a caller may give, built from the sim's own ranges so the two never disagree. */
export const GenomeBody = z
  .object(
    Object.fromEntries(
      GENE_KEYS.map((k) => {
        const r = GENOME_RANGES[k];
        const n = r.integer ? z.number().int() : z.number();
        return [k, n.min(r.min).max(r.max).optional().openapi({ description: r.description })];
      }),
    ),
  )
  .strict()
  .openapi('Genome');

export const SpawnFishBody = z
  .object({ genome: GenomeBody.optional(), x: z.number().min(0).optional(), y: z.number().min(0).optional() })
  .strict()
  .openapi('SpawnFish');

const SpawnFoodBody = z
  .object({ count: z.number().int().min(1).max(50).optional(), x: z.number().min(0).optional() })
  .strict()
  .openapi('SpawnFood');

/** A local id (digits) or a fish uid. */
export const EntityIdParam = z
  .string()
  .min(1)
  .max(200)
  .openapi({ param: { name: 'entity_id', in: 'path' }, example: '17' });

export const EntitySchema = z.record(z.string(), z.unknown()).openapi('Entity');

const round = (n: number) => Math.round(n * 100) / 100;

/** An entity as the API shows it: positions and velocities to 0.01 px. */
function entityView(e: EntityView): Record<string, unknown> {
  const { x, y, vx, vy, ...rest } = e as EntityView & { vx?: number; vy?: number };
  return {
    ...rest,
    x: round(x),
    y: round(y),
    ...(vx === undefined ? {} : { vx: round(vx), vy: round(vy ?? 0) }),
  };
}

const entitiesRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/entities',
  tags: ['entities'],
  summary: 'Every entity in the tank (fish first)',
  request: {
    params: TankIdParams,
    query: z.object({ kind: z.enum(['fish', 'food', 'plant', 'crab']).optional() }),
  },
  responses: {
    200: {
      description: 'entities',
      content: {
        'application/json': {
          schema: z.object({
            tank_id: z.string(),
            frame: z.number().int(),
            entities: z.array(EntitySchema),
            count: z.number().int(),
          }),
        },
      },
    },
    ...problemResponses(400, 401, 403, 404),
  },
});

const spawnFoodRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/food',
  tags: ['entities'],
  summary: 'Drop food flakes (write)',
  request: {
    params: TankIdParams,
    body: { required: true, content: { 'application/json': { schema: SpawnFoodBody } } },
  },
  responses: {
    201: {
      description: 'dropped',
      content: {
        'application/json': { schema: z.object({ ids: z.array(z.number().int()), tank_id: z.string() }) },
      },
    },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const entityRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/entities/{entity_id}',
  tags: ['entities'],
  summary: 'One entity, by its local id or (fish) its global uid',
  request: {
    params: TankIdParams.extend({
      entity_id: EntityIdParam,
    }),
  },
  responses: {
    200: { description: 'the entity', content: { 'application/json': { schema: EntitySchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});
const statsRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/stats',
  tags: ['entities'],
  summary: 'Tank statistics',
  request: { params: TankIdParams },
  responses: {
    200: { description: 'stats', content: { 'application/json': { schema: TankStatsSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export function registerEntityRoutes(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  app.openapi(entitiesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { kind } = c.req.valid('query');
    const tank = await authorizedTank(ctx, c, id, 'read');
    const entities = listEntities(tank.world)
      .filter((e) => !kind || e.kind === kind)
      .map(entityView);
    return c.json({ tank_id: id, frame: tank.world.frame, entities, count: entities.length }, 200);
  });

  app.openapi(entityRoute, async (c) => {
    const { id, entity_id } = c.req.valid('param');
    const tank = await authorizedTank(ctx, c, id, 'read');
    // Local ids are unique across kinds within a tank (one counter); uids name fish anywhere.
    const byId = /^\d+$/.test(entity_id) ? Number(entity_id) : undefined;
    const entity = listEntities(tank.world).find((e) =>
      byId === undefined ? e.kind === 'fish' && e.uid === entity_id : e.id === byId,
    );
    if (!entity) throw new ApiError('unknown_entity', `tank ${id} has no entity ${entity_id}`);
    return c.json({ ...entityView(entity), frame: tank.world.frame }, 200);
  });

  app.openapi(spawnFoodRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const tank = assertNotFailed(await authorizedTank(ctx, c, id, 'write'));
    const ids = spawnFood(tank.world, { count: body.count, x: body.x });
    tank.touch();
    return c.json({ ids, tank_id: id }, 201);
  });

  app.openapi(statsRoute, async (c) => {
    const tank = await authorizedTank(ctx, c, c.req.valid('param').id, 'read');
    return c.json(statsView(tank), 200);
  });
}
