/**
 * @module
 * The network-wide tank API: list every tank the caller may read (with its server, whether that
 * server is up, and live stats from real-time state), create one (placement), delete one (admin),
 * and the per-tank routes forwarded to the tank's own server.
 */
import type { Context, Env } from 'hono';
import type { PermissionLevel } from '../auth/index.ts';
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { tankQuotaExceeded } from '../limits/index.ts';
import { countTanksOwnedBy, deleteTank, listPermissions } from '../store/index.ts';
import { ConnectionSchema } from '../tubes/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { createTankConnected } from './create-connected.ts';
import { tankUnavailable } from './proxy.ts';
import { withConnections } from './routes-connections.ts';
import { registerSearchRoute } from './routes-search.ts';
import { LookupSchema, lookupView, TankIdParams, type TankRecord } from './views.ts';

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
    region: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'Place the tank only on a server in this region (or zone)' }),
    server_id: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'Place the tank on this server (healthy, not draining, not full)' }),
    connect_to: z.string().uuid().optional().openapi({
      description:
        "Connect the new tank to this one by a two-way tube (its right edge to the other's left; the other tank takes transfers or is yours); placement puts it beside that tank when load allows",
    }),
  })
  .strict()
  .openapi('GatewayCreateTank');

const createTankRoute = createRoute({
  method: 'post',
  path: '/api/tanks',
  tags: ['tanks'],
  summary: 'Create a tank on the chosen or least-loaded healthy server (the caller becomes its admin)',
  request: { body: { required: true, content: { 'application/json': { schema: CreateTankBody } } } },
  responses: {
    201: {
      description:
        'created; with `connect_to`, the tube made too (left out if the other tank went meanwhile)',
      content: {
        'application/json': { schema: LookupSchema.extend({ connection: ConnectionSchema.optional() }) },
      },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 422, 429, 503),
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
    ...problemResponses(401, 403, 404, 502, 504),
  },
});

/** Per-tank routes the tank's server answers, and the level the gateway checks first. */
const FORWARDED: Array<{ method: 'get' | 'post'; path: string; needed: PermissionLevel; summary: string }> = [
  { method: 'get', path: '/api/tanks/{id}', needed: 'read', summary: "The tank's live status" },
  { method: 'get', path: '/api/tanks/{id}/entities', needed: 'read', summary: 'Every entity in the tank' },
  {
    method: 'get',
    path: '/api/tanks/{id}/entities/{entity_id}',
    needed: 'read',
    summary: 'One entity, by its local id or (a fish) its uid',
  },
  {
    method: 'get',
    path: '/api/tanks/{id}/entities/{entity_id}/export',
    needed: 'read',
    summary: 'One fish as a migrating fish (v1)',
  },
  { method: 'get', path: '/api/tanks/{id}/stats', needed: 'read', summary: "The tank's statistics" },
  {
    method: 'get',
    path: '/api/tanks/{id}/deaths',
    needed: 'read',
    summary: "The tank's recent deaths by uid",
  },
  { method: 'get', path: '/api/tanks/{id}/snapshots', needed: 'read', summary: "The tank's snapshots" },
  { method: 'post', path: '/api/tanks/{id}/pause', needed: 'write', summary: 'Pause the tank' },
  { method: 'post', path: '/api/tanks/{id}/resume', needed: 'write', summary: 'Resume the tank' },
  {
    method: 'post',
    path: '/api/tanks/{id}/fish',
    needed: 'write',
    summary: 'Spawn a fish, or import a migrating fish',
  },
  { method: 'post', path: '/api/tanks/{id}/food', needed: 'write', summary: 'Drop food' },
  { method: 'post', path: '/api/tanks/{id}/snapshots', needed: 'write', summary: 'Take a snapshot now' },
  {
    method: 'post',
    path: '/api/tanks/{id}/snapshots/{snapshot_id}/restore',
    needed: 'admin',
    summary: 'Restore a snapshot',
  },
];

/** `{name}` as a documented path parameter (the server validates its content). */
const pathParam = (name: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name, in: 'path' } });

function forwardedRoute({ method, path, needed, summary }: (typeof FORWARDED)[number]) {
  const params = path.includes('{snapshot_id}')
    ? TankIdParams.extend({ snapshot_id: pathParam('snapshot_id') })
    : path.includes('{entity_id}')
      ? TankIdParams.extend({ entity_id: pathParam('entity_id') })
      : TankIdParams;
  return createRoute({
    method,
    path,
    tags: ['tanks (forwarded)'],
    summary: `${summary} (${needed}); forwarded to the tank's server, which answers`,
    description:
      "The request (body included) goes to the tank's own server as is; see that server's OpenAPI document.",
    request: { params },
    responses: {
      200: { description: "the server's answer", content: { 'application/json': { schema: z.unknown() } } },
      ...problemResponses(401, 403, 404, 502, 503, 504),
    },
  });
}

/** Who could read a tank, read before its rows (grants included) are deleted. */
async function audienceOf(
  ctx: GatewayContext,
  record: TankRecord,
): Promise<{ isPublic: boolean; readers: string[] }> {
  const readers = new Set((await listPermissions(ctx.db, record.tankId)).map((g) => g.userId));
  if (record.owner) readers.add(record.owner);
  return { isPublic: record.isPublic, readers: [...readers].sort() };
}

/** Drops what the gateway knew of a deleted tank and tells the network (and the tank's readers). */
async function forget(
  ctx: GatewayContext,
  record: TankRecord,
  audience: { isPublic: boolean; readers: string[] } | undefined,
): Promise<void> {
  ctx.cache.invalidate(record.tankId);
  ctx.access.invalidate(record.tankId);
  if (!audience) return;
  const at = new Date().toISOString();
  await ctx.realtime
    .publish({
      type: 'tank_deleted',
      tank_id: record.tankId,
      server_id: record.serverId ?? 'unknown',
      at,
      is_public: audience.isPublic,
      readers: audience.readers,
    })
    .catch((err) => ctx.logger.warn({ err: (err as Error).message }, 'could not publish tank_deleted'));
}

async function deleteTankEverywhere(
  ctx: GatewayContext,
  c: Context<GatewayEnv>,
  record: TankRecord,
): Promise<Response> {
  const done = () => c.json({ message: `Tank ${record.tankId} deleted`, tank_id: record.tankId }, 200);
  if (record.serverId !== null && ctx.directory.isAvailable(record.serverId)) {
    const answer = await ctx.proxy.forward(record, c.req);
    // The server deleted the rows and announced it; anything else but "not running here" is its answer.
    if (answer.ok) {
      await forget(ctx, record, undefined);
      return answer;
    }
    if (answer.status !== 404) return answer;
    // A server answers 404 also to a caller it finds unable to read the tank (as it would a tank
    // it does not run): check the caller afresh, past this gateway's level cache, before the rows go.
    ctx.access.invalidate(record.tankId);
    await ctx.access.require(c.var.user, record, 'admin');
  }
  // Its server is down (or no longer runs it): the rows go here, and a server that comes back is
  // fenced by the missing location, as after a failover.
  const audience = await audienceOf(ctx, record);
  const deleted = await deleteTank(ctx.db, record.tankId);
  await forget(ctx, record, deleted ? audience : undefined);
  return done();
}

export function registerTankRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  registerSearchRoute(app, ctx);

  app.openapi(createTankRoute, async function createNetworkTank(c) {
    const owner = c.var.user.userId;
    // A quick refusal before placement; the server's create checks again under the owner's lock.
    const quota = ctx.limits.tanksPerOwner;
    if (quota > 0 && (await countTanksOwnedBy(ctx.db, owner)) >= quota) throw tankQuotaExceeded(owner, quota);
    const { record, connection } = await createTankConnected(ctx, c.var.user, c.req.valid('json'));
    const server = record.serverId === null ? undefined : ctx.directory.get(record.serverId);
    if (!server) throw tankUnavailable(record);
    ctx.metrics.placements.inc({ server_id: server.serverId });
    return c.json({ ...lookupView(record, server), ...(connection && { connection }) }, 201);
  });

  app.openapi(deleteTankRoute, async function deleteNetworkTank(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'admin');
    return (await deleteTankEverywhere(ctx, c, record)) as never;
  });

  /** 421 from the mesh, or 404 from a server that no longer runs the tank. */
  function isStaleRoute(answer: Response): boolean {
    return answer.status === 421 || answer.status === 404;
  }

  for (const forwarded of FORWARDED) {
    app.openapi(forwardedRoute(forwarded), async function forwardToOwner(c: Context<GatewayEnv & Env>) {
      const tankId = c.req.param('id') as string;
      const record = await authorizedTank(ctx, c, tankId, forwarded.needed);
      // The tank's own JSON gains its tubes, which the gateway's store holds.
      const finish = (answer: Response) =>
        forwarded.path === '/api/tanks/{id}'
          ? withConnections(ctx, c.var.user.userId, tankId, answer)
          : answer;
      const answer = await ctx.proxy.forward(record, c.req);
      if (!isStaleRoute(answer)) return (await finish(answer)) as never;
      // The tank moved (failover, another gateway) or the mesh routed to another server: look
      // the owner up again and try once more if it changed.
      ctx.cache.invalidate(tankId);
      const current = await authorizedTank(ctx, c, tankId, forwarded.needed);
      if (current.serverId === record.serverId) return answer as never;
      return (await finish(await ctx.proxy.forward(current, c.req))) as never;
    });
  }
}
