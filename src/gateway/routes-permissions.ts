/**
 * @module
 * Who may do what on a tank, managed by its admins: list the grants, grant a level (replacing
 * the user's previous one), revoke it. The owner is admin without a grant and stays admin: a
 * grant or revoke naming the owner is refused. Each change drops the cached levels of the tank,
 * here and (through a `permission_changed` event) on every other gateway.
 */
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { grantPermission, listPermissions, PERMISSIONS, revokePermission } from '../store/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { TankIdParams, type TankRecord } from './views.ts';

const GrantSchema = z
  .object({ user_id: z.string(), permission: z.enum(PERMISSIONS), granted_at: z.string() })
  .openapi('PermissionGrant');

const GrantBody = z
  .object({ user_id: z.string().trim().min(1).max(200), permission: z.enum(PERMISSIONS) })
  .strict()
  .openapi('GrantPermission');

const listRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/permissions',
  tags: ['permissions'],
  summary: 'Grants on a tank, and its owner (admin)',
  request: { params: TankIdParams },
  responses: {
    200: {
      description: 'grants',
      content: {
        'application/json': {
          schema: z.object({
            tank_id: z.string(),
            owner: z.string().nullable(),
            permissions: z.array(GrantSchema),
          }),
        },
      },
    },
    ...problemResponses(401, 403, 404),
  },
});

const grantRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/permissions',
  tags: ['permissions'],
  summary: "Grant a user a level on a tank, replacing the user's previous level (admin)",
  request: {
    params: TankIdParams,
    body: { required: true, content: { 'application/json': { schema: GrantBody } } },
  },
  responses: {
    200: {
      description: 'granted',
      content: { 'application/json': { schema: GrantSchema.extend({ tank_id: z.string() }) } },
    },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/api/tanks/{id}/permissions/{user_id}',
  tags: ['permissions'],
  summary: "Revoke a user's level on a tank (admin)",
  request: {
    params: TankIdParams.extend({
      user_id: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: 'user_id', in: 'path' } }),
    }),
  },
  responses: {
    200: {
      description: 'revoked',
      content: {
        'application/json': {
          schema: z.object({ tank_id: z.string(), user_id: z.string(), revoked: z.boolean() }),
        },
      },
    },
    ...problemResponses(401, 403, 404, 409),
  },
});

/** Drops this gateway's cached levels on the tank and tells the other gateways to do the same. */
async function changed(ctx: GatewayContext, tankId: string, userId: string): Promise<void> {
  ctx.access.invalidate(tankId);
  await ctx.realtime
    .publish({ type: 'permission_changed', tank_id: tankId, user_id: userId, at: new Date().toISOString() })
    .catch((err) =>
      ctx.logger.warn(
        { err: (err as Error).message, tank_id: tankId },
        'could not publish permission_changed; other gateways see it within their level TTL',
      ),
    );
}

function refuseOwner(record: TankRecord, userId: string): void {
  if (record.owner === userId) {
    throw new ApiError('conflict', `${userId} owns tank ${record.tankId} and stays its admin`);
  }
}

export function registerPermissionRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(listRoute, async function listGrants(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'admin');
    const grants = await listPermissions(ctx.db, record.tankId);
    const permissions = grants.map((g) => ({
      user_id: g.userId,
      permission: g.permission,
      granted_at: g.grantedAt.toISOString(),
    }));
    return c.json({ tank_id: record.tankId, owner: record.owner, permissions }, 200);
  });

  app.openapi(grantRoute, async function grant(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'admin');
    const { user_id: userId, permission } = c.req.valid('json');
    refuseOwner(record, userId);
    const row = await grantPermission(ctx.db, { tankId: record.tankId, userId, permission });
    await changed(ctx, record.tankId, userId);
    return c.json(
      {
        tank_id: record.tankId,
        user_id: row.userId,
        permission: row.permission,
        granted_at: row.grantedAt.toISOString(),
      },
      200,
    );
  });

  app.openapi(revokeRoute, async function revoke(c) {
    const { id, user_id: userId } = c.req.valid('param');
    const record = await authorizedTank(ctx, c, id, 'admin');
    refuseOwner(record, userId);
    const revoked = await revokePermission(ctx.db, { tankId: record.tankId, userId });
    if (revoked) await changed(ctx, record.tankId, userId);
    if (!revoked) throw new ApiError('not_found', `${userId} holds no permission on tank ${record.tankId}`);
    return c.json({ tank_id: record.tankId, user_id: userId, revoked: true }, 200);
  });
}
