/**
 * @module
 * `GET /api/tanks`: every tank the caller may read, filtered and sorted, a page at a time, each
 * with its server, whether that server is up, and live stats from real-time state. The filters
 * on fish count and generation read the figures each server writes with its heartbeat
 * (`tanks.fish_count`, `tanks.generation`): a few seconds old, where `stats` is live.
 */
import type { OpenAPIHono } from '../http/index.ts';
import { createRoute, problemResponses, z } from '../http/index.ts';
import type { TankStats } from '../realtime/index.ts';
import { listTanks, TANK_SORTS } from '../store/index.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { ListedTankSchema, listedView, type TankRecord, toRecord } from './views.ts';

const count = z.coerce.number().int().min(0).max(1_000_000).optional();
const flag = z.enum(['true', 'false']).optional();
const time = z.iso.datetime({ offset: true }).optional();

export const TankSearchQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(400).optional(),
    server_id: z.string().max(100).optional(),
    owner: z.string().min(1).max(200).optional(),
    region: z.string().min(1).max(100).optional().openapi({ description: 'A region or zone' }),
    q: z.string().min(1).max(200).optional().openapi({ description: 'Words the name has (each a prefix)' }),
    public: flag,
    fish_min: count,
    fish_max: count,
    generation_min: count,
    generation_max: count,
    created_from: time.openapi({ description: 'Created at or after (RFC 3339)' }),
    created_before: time.openapi({ description: 'Created before (RFC 3339)' }),
    sort: z
      .enum(TANK_SORTS)
      .optional()
      .openapi({ description: 'created (default), name, fish_count, generation' }),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

const listRoute = createRoute({
  method: 'get',
  path: '/api/tanks',
  tags: ['tanks'],
  summary: 'Every tank in the network the caller may read, filtered and sorted, a page at a time',
  request: { query: TankSearchQuery },
  responses: {
    200: {
      description: 'a page of tanks',
      content: {
        'application/json': {
          schema: z.object({
            tanks: z.array(ListedTankSchema),
            count: z.number().int(),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

async function statsOf(ctx: GatewayContext, records: TankRecord[]): Promise<Map<string, TankStats>> {
  if (records.length === 0) return new Map();
  try {
    return await ctx.realtime.tankStats(records.map((r) => r.tankId));
  } catch (err) {
    // Live numbers are a nicety: the listing still answers, with `stats: null`.
    ctx.logger.warn({ err: (err as Error).message }, 'tank stats unreadable; listing without them');
    return new Map();
  }
}

const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));

export function registerSearchRoute(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(listRoute, async function listNetworkTanks(c) {
    const q = c.req.valid('query');
    const page = await listTanks(ctx.db, {
      limit: q.limit,
      cursor: q.cursor,
      serverId: q.server_id,
      visibleTo: c.var.user.userId,
      owner: q.owner,
      region: q.region,
      text: q.q,
      isPublic: q.public === undefined ? undefined : q.public === 'true',
      fishMin: q.fish_min,
      fishMax: q.fish_max,
      generationMin: q.generation_min,
      generationMax: q.generation_max,
      createdFrom: date(q.created_from),
      createdBefore: date(q.created_before),
      sort: q.sort,
      order: q.order,
    });
    const records = page.items.map(({ tank, location }) => toRecord(tank, location));
    const stats = await statsOf(ctx, records);
    const tanks = records.map((r) => {
      const server = r.serverId === null ? undefined : ctx.directory.get(r.serverId);
      const available = r.serverId !== null && ctx.directory.isAvailable(r.serverId);
      return listedView(r, server, available, stats.get(r.tankId));
    });
    return c.json({ tanks, count: tanks.length, next_cursor: page.nextCursor }, 200);
  });
}
