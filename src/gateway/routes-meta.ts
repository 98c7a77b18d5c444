/**
 * @module
 * What the gateway says about itself and the network: `/health`, `/metrics` (Prometheus text,
 * per-route latency histograms included), `GET /api/servers` (discovery's view with live load
 * and tank counts; when discovery cannot be reached, the last known view marked `stale`) and
 * `GET /api/events` (Server-Sent Events of the network's events the caller may see).
 */
import type { ServerInstance } from '../discovery/index.ts';
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { clientAddress } from '../limits/index.ts';
import type { NetworkEvent, ServerLoad } from '../realtime/index.ts';
import { countTanksByServer } from '../store/index.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { ServerViewSchema, serverView } from './views.ts';

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['meta'],
  summary: 'Liveness, and how many tank servers the gateway sees by health',
  responses: {
    200: {
      description: 'healthy',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('healthy'),
            gateway_id: z.string(),
            version: z.string(),
            servers: z.object({
              passing: z.number().int(),
              warning: z.number().int(),
              critical: z.number().int(),
            }),
            uptime_seconds: z.number(),
          }),
        },
      },
    },
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['meta'],
  summary: 'Prometheus metrics',
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
  },
});

const serversRoute = createRoute({
  method: 'get',
  path: '/api/servers',
  tags: ['meta'],
  summary: 'Every tank server: health, live load and tank count',
  responses: {
    200: {
      description: 'servers',
      content: {
        'application/json': {
          schema: z.object({
            servers: z.array(ServerViewSchema),
            count: z.number().int(),
            stale: z.boolean(),
            as_of: z.string().nullable(),
          }),
        },
      },
    },
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/api/events',
  tags: ['meta'],
  summary: 'Server-Sent Events: tank created/deleted/moved, server up/down, transfer steps',
  description:
    "A bearer token in `Authorization`, or (for EventSource, which cannot set headers) in the `token` query parameter. Each user gets the server events and the events of tanks they may read (public, owned or granted); a deleted tank's event goes to those who could read it.",
  request: { query: z.object({ token: z.string().optional() }) },
  responses: {
    200: { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...problemResponses(401, 429),
  },
});

/** The healthy servers and when they were read; the last known view when discovery is out of reach. */
async function serverList(
  ctx: GatewayContext,
): Promise<{ servers: ServerInstance[]; stale: boolean; asOf: string | null }> {
  try {
    const healthy = await ctx.discovery.healthyServers();
    const ids = new Set(healthy.map((s) => s.serverId));
    // Discovery's healthy list leaves critical servers out; the watch view still has them.
    const critical = ctx.directory.all().filter((s) => s.status === 'critical' && !ids.has(s.serverId));
    return { servers: [...healthy, ...critical], stale: false, asOf: new Date().toISOString() };
  } catch {
    const last = await ctx.discovery.lastKnown();
    const servers = last.servers.length > 0 ? last.servers : ctx.directory.all();
    return { servers, stale: true, asOf: last.at?.toISOString() ?? null };
  }
}

export function registerMetaRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(healthRoute, function health(c) {
    const all = ctx.directory.all();
    const count = (status: ServerInstance['status']) => all.filter((s) => s.status === status).length;
    return c.json(
      {
        status: 'healthy' as const,
        gateway_id: ctx.gatewayId,
        version: ctx.version,
        servers: { passing: count('passing'), warning: count('warning'), critical: count('critical') },
        uptime_seconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
      },
      200,
    );
  });

  app.openapi(metricsRoute, async function metrics(c) {
    return c.body(await ctx.registry.metrics(), 200, { 'content-type': ctx.registry.contentType }) as never;
  });

  app.openapi(serversRoute, async function listServers(c) {
    const [{ servers, stale, asOf }, loads, counts] = await Promise.all([
      serverList(ctx),
      ctx.realtime.loads().catch(() => new Map<string, ServerLoad>()),
      countTanksByServer(ctx.db),
    ]);
    const views = servers
      .sort((a, b) => a.serverId.localeCompare(b.serverId))
      .map((s) => serverView(s, loads.get(s.serverId), counts[s.serverId] ?? 0));
    return c.json({ servers: views, count: views.length, stale, as_of: asOf }, 200);
  });

  app.openapi(eventsRoute, function events(c) {
    const user = c.var.user;
    // Held until the stream ends; past the limit, 429 before any stream starts.
    const release = ctx.limits.sse.open({ user: user.userId, address: clientAddress(c) });
    async function readsAll(tankIds: string[]): Promise<boolean> {
      for (const id of tankIds) {
        try {
          const record = await ctx.cache.get(id);
          if (!record || !(await ctx.access.levelOf(user, record))) return false;
        } catch {
          return false;
        }
      }
      return true;
    }
    return ctx.hub.stream(
      c,
      async function visible(event: NetworkEvent) {
        // Who may see a tank is its admins' business: gateways hear of it, users do not.
        if (event.type === 'permission_changed') return false;
        // A deleted tank's rows are gone: the event itself says who could read it.
        if (event.type === 'tank_deleted')
          return event.is_public === true || (event.readers?.includes(user.userId) ?? false);
        // A tube names both its tanks: shown only to who may read both (as the tube listings).
        if (event.type === 'connection_changed' || event.type === 'migration') {
          const ends =
            event.type === 'migration'
              ? [event.from_tank_id, event.to_tank_id]
              : [event.source_tank_id, event.dest_tank_id];
          return readsAll(ends);
        }
        const tankIds =
          event.type === 'tank_created' || event.type === 'tank_moved'
            ? [event.tank_id]
            : event.type === 'transfer_step'
              ? [event.source_tank_id, event.dest_tank_id]
              : [];
        // Server events name nothing private; a tank's own events go to its readers.
        if (tankIds.length === 0) return true;
        for (const id of tankIds) {
          try {
            const record = await ctx.cache.get(id);
            if (record && (await ctx.access.levelOf(user, record))) return true;
          } catch {
            // An unreadable record hides the event rather than ending the stream.
          }
        }
        return false;
      },
      release,
    ) as never;
  });
}
