/**
 * @module
 * `GET /api/tanks/{id}/deaths`: the tank's newest deaths by uid (cause and frame), from the
 * record its world keeps (`src/sim/obituaries.ts`), and from which frame on that record is
 * complete. With the fish a census finds alive, it tells a fish that died from one that was
 * lost: the tube soak's account by uid reads it.
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { DeathCause, listObituaries, OBITUARY_CAPACITY, type World } from '../sim/index.ts';
import { authorizedTank, type ServerContext, type ServerEnv } from './context.ts';
import { TankIdParams } from './routes-tanks.ts';

const CAUSES = Object.values(DeathCause) as [DeathCause, ...DeathCause[]];

export const TankDeathsSchema = z
  .object({
    tank_id: z.string(),
    frame: z.number().int(),
    /** Deaths the record keeps at most; older ones give way. */
    capacity: z.number().int(),
    /** Deaths in the tank's history so far (its counters), listed or not. */
    total: z.number().int(),
    complete_since_frame: z.number().int().openapi({
      description: 'Every death at this frame or later is listed (0: every death the tank has had)',
    }),
    deaths: z.array(z.object({ uid: z.string(), cause: z.enum(CAUSES), frame: z.number().int() })),
    count: z.number().int(),
  })
  .openapi('TankDeaths');

const deathsRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/deaths',
  tags: ['entities'],
  summary: "The tank's newest deaths by uid, oldest first",
  request: {
    params: TankIdParams,
    query: z.object({
      since_frame: z.coerce.number().int().min(0).optional(),
      cause: z.enum(CAUSES).optional(),
    }),
  },
  responses: {
    200: { description: 'deaths', content: { 'application/json': { schema: TankDeathsSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/**
 * The first frame from which the record misses nothing: 0 while it holds every death the
 * counters know of; else after its oldest entry (others of that frame may have given way), or
 * after now for an empty record (a world restored from a snapshot kept before the record was).
 */
function completeSince(world: World, total: number, count: number, oldest: number | undefined): number {
  if (total === count) return 0;
  return (oldest ?? world.frame) + 1;
}

export function registerDeathsRoute(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  app.openapi(deathsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { since_frame = 0, cause } = c.req.valid('query');
    const { world } = await authorizedTank(ctx, c, id, 'read');
    const all = listObituaries(world.obituaries);
    const total = Object.values(world.counters.deaths).reduce((a, b) => a + b, 0);
    const deaths = all.filter((d) => d.frame >= since_frame && (!cause || d.cause === cause));
    return c.json(
      {
        tank_id: id,
        frame: world.frame,
        capacity: OBITUARY_CAPACITY,
        total,
        complete_since_frame: completeSince(world, total, all.length, all[0]?.frame),
        deaths,
        count: deaths.length,
      },
      200,
    );
  });
}
