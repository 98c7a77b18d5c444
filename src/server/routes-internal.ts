/**
 * @module
 * The internal API the gateway (and, for transfers, other servers) calls: create a tank here,
 * adopt a tank moved here (failover, live move), hand a running tank off to another server. Every request must carry a valid HMAC signature
 * (auth/signing) on top of the mesh's mTLS; unsigned, tampered or replayed calls are refused.
 */
import { type InternalVerifier, internalAuth } from '../auth/index.ts';
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import type { ServerContext, ServerEnv } from './context.ts';
import { CreateTankBody, TankIdParams } from './routes-tanks.ts';
import { TankStatusSchema, tankView } from './views.ts';

const InternalCreateBody = CreateTankBody.extend({
  tank_id: z.string().uuid(),
  owner: z.string().min(1).max(200).nullable(),
}).openapi('InternalCreateTank');

const createRouteDef = createRoute({
  method: 'post',
  path: '/internal/tanks',
  tags: ['internal'],
  summary: 'Create a tank on this server (gateway placement); retrying with the same tank_id is safe',
  request: { body: { required: true, content: { 'application/json': { schema: InternalCreateBody } } } },
  responses: {
    201: { description: 'created', content: { 'application/json': { schema: TankStatusSchema } } },
    ...problemResponses(400, 401, 409, 503),
  },
});

const adoptRouteDef = createRoute({
  method: 'post',
  path: '/internal/tanks/{id}/adopt',
  tags: ['internal'],
  summary: 'Start a tank the gateway moved here, from its latest snapshot',
  request: {
    params: TankIdParams,
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ epoch: z.number().int().min(1) }).strict() } },
    },
  },
  responses: {
    200: { description: 'running here', content: { 'application/json': { schema: TankStatusSchema } } },
    ...problemResponses(400, 401, 404, 409),
  },
});

const HandOffBody = z
  .object({
    to_server_id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/),
    websocket_url: z.string().url().max(500),
  })
  .strict()
  .openapi('InternalHandOff');

const handOffRouteDef = createRoute({
  method: 'post',
  path: '/internal/tanks/{id}/hand-off',
  tags: ['internal'],
  summary:
    'Live move: freeze the tank, save it, move its location to `to_server_id` (epoch + 1), tell its viewers',
  request: {
    params: TankIdParams,
    body: { required: true, content: { 'application/json': { schema: HandOffBody } } },
  },
  responses: {
    200: {
      description: 'handed off; the destination owns the tank from `epoch` on',
      content: {
        'application/json': {
          schema: z.object({
            tank_id: z.string(),
            from: z.string(),
            to: z.string(),
            epoch: z.number().int(),
            frame: z.number().int(),
          }),
        },
      },
    },
    ...problemResponses(400, 401, 404, 409, 422, 503),
  },
});

export function registerInternalRoutes(
  app: OpenAPIHono<ServerEnv>,
  ctx: ServerContext,
  verifier: InternalVerifier,
): void {
  app.use('/internal/*', internalAuth({ verifier }));

  app.openapi(createRouteDef, async (c) => {
    const body = c.req.valid('json');
    const tank = await ctx.tanks.create({
      tankId: body.tank_id,
      name: body.name,
      description: body.description,
      owner: body.owner,
      seed: body.seed,
      isPublic: body.is_public,
      allowTransfers: body.allow_transfers,
      initialFish: body.initial_fish,
    });
    return c.json(tankView(tank, ctx.serverId), 201);
  });

  app.openapi(handOffRouteDef, async (c) => {
    const body = c.req.valid('json');
    const moved = await ctx.handOff(c.req.valid('param').id, {
      serverId: body.to_server_id,
      wsUrl: body.websocket_url,
    });
    return c.json(
      { tank_id: moved.tankId, from: moved.from, to: moved.to, epoch: moved.epoch, frame: moved.frame },
      200,
    );
  });

  app.openapi(adoptRouteDef, async (c) => {
    const tank = await ctx.tanks.adopt(c.req.valid('param').id, c.req.valid('json').epoch);
    return c.json(tankView(tank, ctx.serverId), 200);
  });
}
