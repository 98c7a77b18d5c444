/**
 * @module
 * What a server says about itself and the network: `/` (what is here), `/health`, `/metrics`
 * (Prometheus text) and `GET /api/servers` (every tank server discovery knows, with its public
 * tanks; a bearer token is required, as on the tank routes).
 * When discovery is unreachable the last known view is served and marked `stale`.
 */
import type { Discovery, ServerInstance } from '../discovery/index.ts';
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { listTanks } from '../store/index.ts';
import type { Registry } from '../telemetry/index.ts';
import type { ServerContext, ServerEnv } from './context.ts';
import type { LeaseState } from './lease.ts';
import { tankView } from './views.ts';

export interface MetaRouteOptions {
  discovery: Discovery;
  registry: Registry;
  startedAt: Date;
  self: () => ServerInstance;
  /** The lease (`lease.ts`): a fenced server is alive but acts on no tank. */
  lease: () => LeaseState;
}

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['meta'],
  summary: 'Liveness and what this server runs',
  responses: {
    200: {
      description: 'healthy',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('healthy'),
            server_id: z.string(),
            tanks: z.number().int(),
            ticks_behind: z.number().int(),
            /** `fenced`: past its lease, the server runs no tank and answers 503 `server_fenced`. */
            lease: z.enum(['held', 'fenced', 'starting']),
            uptime_seconds: z.number(),
          }),
        },
      },
    },
  },
});

const rootRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['meta'],
  summary: 'What this server is and where its endpoints are',
  responses: {
    200: {
      description: 'the server',
      content: {
        'application/json': {
          schema: z.object({
            message: z.string(),
            version: z.string(),
            server_id: z.string(),
            tank_count: z.number().int(),
            endpoints: z.record(z.string(), z.string()),
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
  summary: 'Prometheus metrics: tanks, viewers, tick duration, frame bytes, snapshot duration, HTTP latency',
  responses: {
    200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } },
  },
});

const serversRoute = createRoute({
  method: 'get',
  path: '/api/servers',
  tags: ['meta'],
  summary: 'Every tank server in the network with its public tanks (bearer token)',
  description: 'Needs a bearer token, like the tank routes: the listing names tanks and their owners.',
  responses: {
    200: {
      description: 'servers',
      content: {
        'application/json': {
          schema: z.object({
            servers: z.array(z.unknown()),
            count: z.number().int(),
            stale: z.boolean(),
            as_of: z.string().nullable(),
          }),
        },
      },
    },
    ...problemResponses(401),
  },
});

export function serverInfo(s: ServerInstance, extra: Record<string, unknown> = {}) {
  return {
    server_id: s.serverId,
    host: s.address,
    port: s.port,
    region: s.region,
    zone: s.zone,
    version: s.version,
    status: s.status === 'critical' ? 'offline' : s.status === 'warning' ? 'degraded' : 'online',
    health: s.status,
    capabilities: s.capabilities,
    public_url: s.publicUrl,
    ws_url: s.wsUrl,
    started_at: s.startedAt,
    tank_count: s.load?.tank_count ?? 0,
    cpu_percent: s.load?.cpu_percent ?? null,
    memory_mb: s.load?.memory_mb ?? null,
    ws_connections: s.load?.ws_connections ?? null,
    ...extra,
  };
}

export function registerMetaRoutes(
  app: OpenAPIHono<ServerEnv>,
  ctx: ServerContext,
  { discovery, registry, startedAt, self, lease }: MetaRouteOptions,
): void {
  app.openapi(rootRoute, (c) =>
    c.json(
      {
        message: 'Tank World Net tank server',
        version: ctx.version,
        server_id: ctx.serverId,
        tank_count: ctx.host.size,
        endpoints: {
          websocket_tank: '/ws/{tank_id}',
          health: '/health',
          tanks: '/api/tanks',
          servers: '/api/servers',
          metrics: '/metrics',
          openapi: '/openapi.json',
        },
      },
      200,
    ),
  );

  app.openapi(healthRoute, (c) =>
    c.json(
      {
        status: 'healthy' as const,
        server_id: ctx.serverId,
        tanks: ctx.host.size,
        ticks_behind: ctx.host.load().ticks_behind,
        lease: lease(),
        uptime_seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      },
      200,
    ),
  );

  app.openapi(metricsRoute, async (c) =>
    c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );

  app.openapi(serversRoute, async (c) => {
    let servers: ServerInstance[];
    let stale = false;
    let asOf: string | null = new Date().toISOString();
    try {
      servers = await discovery.healthyServers();
    } catch {
      const last = await discovery.lastKnown();
      servers = last.servers;
      stale = true;
      asOf = last.at?.toISOString() ?? null;
    }
    if (!servers.some((s) => s.serverId === ctx.serverId)) servers = [self(), ...servers];
    const out = [];
    for (const s of servers) {
      // Public tanks only, whoever asks (a user's private and granted tanks are the gateway's
      // listing's business); counts still include them all.
      if (s.serverId === ctx.serverId) {
        const all = ctx.host.list();
        const tanks = all.filter((t) => t.meta.is_public).map((t) => tankView(t, ctx.serverId));
        out.push({ server: serverInfo(s, { tank_count: all.length, is_local: true }), tanks });
        continue;
      }
      const page = await listTanks(ctx.db, { serverId: s.serverId, limit: 200 });
      const tanks = page.items
        .filter(({ tank }) => tank.isPublic)
        .map(({ tank }) => ({
          tank: {
            tank_id: tank.tankId,
            name: tank.name,
            description: tank.description,
            owner: tank.owner,
            server_id: s.serverId,
            is_public: tank.isPublic,
            allow_transfers: tank.allowTransfers,
          },
        }));
      out.push({ server: serverInfo(s, { is_local: false }), tanks });
    }
    return c.json({ servers: out, count: out.length, stale, as_of: asOf }, 200);
  });
}
