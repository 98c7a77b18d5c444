/**
 * @module
 * One fish in and out of a tank: `POST /api/tanks/{id}/fish` spawns a new fish, or, with a
 * migrating-fish body (`format: 'tankworld.fish'`), imports one; `GET …/entities/{entity_id}/export`
 * gives a fish as a migrating fish. An import is a copy: it gets a uid born in this tank, and
 * keeps its lineage, parent, generation, genome and state, so export and import never put one uid
 * in two places (the original may still live where it was exported from).
 */
import {
  ApiError,
  createRoute,
  describeIssues,
  type OpenAPIHono,
  problemResponses,
  z,
} from '../http/index.ts';
import { isMigratingFish, migratingFishV1, parseMigratingFish, toMigratingFish } from '../migrating/index.ts';
import { importEntity, readEntity, spawnFish } from '../sim/index.ts';
import { assertNotFailed, authorizedTank, type ServerContext, type ServerEnv } from './context.ts';
import { EntityIdParam, SpawnFishBody } from './routes-entities.ts';
import { TankIdParams } from './routes-tanks.ts';

/**
 * Either body; told apart by `format`, and each then checked by its own schema (a migrating fish
 * by `parseMigratingFish`, so its faults are 422s naming the field).
 */
const FishBody = z.record(z.string(), z.unknown()).openapi('SpawnOrImportFish', {
  description: 'A SpawnFish body, or a MigratingFish (format "tankworld.fish") to import a copy',
  anyOf: [{ $ref: '#/components/schemas/SpawnFish' }, { $ref: '#/components/schemas/MigratingFish' }],
});

const FishCreated = z.object({
  id: z.number().int(),
  uid: z.string(),
  tank_id: z.string(),
  lineage_id: z.string().optional(),
  parent_uid: z.string().nullable().optional(),
  generation: z.number().int().optional(),
  /** The uid the imported fish had where it was exported. */
  imported_from: z.string().optional(),
});

const fishRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/fish',
  tags: ['entities'],
  summary: 'Spawn a fish, optionally with genes, or import a copy of a migrating fish (write)',
  request: {
    params: TankIdParams,
    body: { required: true, content: { 'application/json': { schema: FishBody } } },
  },
  responses: {
    201: { description: 'spawned or imported', content: { 'application/json': { schema: FishCreated } } },
    ...problemResponses(400, 401, 403, 404, 409, 422),
  },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/entities/{entity_id}/export',
  tags: ['entities'],
  summary: 'One fish (by local id or uid) as a migrating fish (v1), to import elsewhere',
  request: { params: TankIdParams.extend({ entity_id: EntityIdParam }) },
  responses: {
    200: { description: 'the fish', content: { 'application/json': { schema: migratingFishV1 } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

export function registerFishRoutes(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  // Named in the body's `anyOf`, so the document holds it though no route uses it directly.
  app.openAPIRegistry.register('SpawnFish', SpawnFishBody);
  app.openapi(fishRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (isMigratingFish(body)) {
      // Parsed before the tank is looked at: a bad body is refused the same everywhere.
      const payload = parseMigratingFish(body);
      const tank = assertNotFailed(await authorizedTank(ctx, c, id, 'write'));
      const fish = importEntity(tank.world, payload);
      tank.touch();
      ctx.logger.info(
        { tank_id: id, uid: fish.uid, from: payload.uid, lineage_id: payload.lineageId },
        'fish imported',
      );
      return c.json(
        {
          ...fish,
          tank_id: id,
          lineage_id: payload.lineageId,
          parent_uid: payload.parentUid,
          generation: payload.generation,
          imported_from: payload.uid,
        },
        201,
      );
    }
    const spawn = SpawnFishBody.safeParse(body);
    if (!spawn.success) {
      throw new ApiError('invalid_request', describeIssues(spawn.error), {
        extra: { errors: spawn.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      });
    }
    const tank = assertNotFailed(await authorizedTank(ctx, c, id, 'write'));
    const { genome, x, y } = spawn.data;
    const fish = spawnFish(tank.world, { genome, x, y });
    tank.touch();
    return c.json({ ...fish, tank_id: id, lineage_id: fish.uid, parent_uid: null, generation: 0 }, 201);
  });

  app.openapi(exportRoute, async (c) => {
    const { id, entity_id } = c.req.valid('param');
    const tank = await authorizedTank(ctx, c, id, 'read');
    const ref = /^\d+$/.test(entity_id) ? Number(entity_id) : entity_id;
    return c.json(toMigratingFish(readEntity(tank.world, ref)), 200);
  });
}
