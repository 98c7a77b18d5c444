/**
 * @module
 * Building the gateway's parts, apart from running them (`gateway.ts` starts and stops them):
 * the server directory, the client for calls to servers, the caches, placement, the event hub,
 * failover and the context every route group shares; the web app at `/`; dropping cached
 * records on the network's events; and the gateway's own registration as `tank-gateway`.
 */
import { existsSync } from 'node:fs';
import { serveStatic } from '@hono/node-server/serve-static';
import { createNodeFetch, type NodeFetch, type OpenAPIHono } from '../http/index.ts';
import { createLimits, createMemoryLimitBackend, NO_LIMITS } from '../limits/index.ts';
import { createServerClient, type ResolveServer, type ServerClient } from '../server-client/index.ts';
import { createMetricsRegistry, type Logger } from '../telemetry/index.ts';
import { type Access, createAccess } from './access.ts';
import { createTankCache, type TankCache } from './cache.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { createTankCreator } from './create-tank.ts';
import { createServerDirectory, type ServerDirectory } from './directory.ts';
import { createEventHub, type EventHub } from './events.ts';
import { createFailover, type Failover } from './failover.ts';
import { createTankImporter } from './import-tank.ts';
import { createLiveMover } from './live-move.ts';
import { createLoadView } from './load-view.ts';
import { createGatewayMetrics } from './metrics.ts';
import { GATEWAY_VERSION, type GatewayOptions } from './options.ts';
import { defaultPlacement } from './placement.ts';
import type { Placing } from './placing.ts';
import { createTankProxy } from './proxy.ts';
import { createSelfRegistration, type SelfRegistration } from './registration.ts';

/** What `buildGatewayParts` builds; nothing of it is started yet. */
export interface GatewayParts {
  gatewayId: string;
  logger: Logger;
  directory: ServerDirectory;
  /** The connections of `serverClient`, closed when the gateway stops. */
  serverFetch: NodeFetch;
  serverClient: ServerClient;
  /** Where a call for a server goes (the relay opens its WebSockets there too). */
  resolveServer: ResolveServer;
  cache: TankCache;
  access: Access;
  hub: EventHub;
  failover: Failover;
  ctx: GatewayContext;
}

/**
 * @example
 * ```ts
 * const parts = buildGatewayParts(options);
 * const app = createGatewayApp({ ctx: parts.ctx, verifier, tokenMinter });
 * ```
 */
export function buildGatewayParts(options: GatewayOptions): GatewayParts {
  const { gatewayId, db, discovery, realtime } = options;
  const logger = options.logger.child({ gateway_id: gatewayId });
  const registry = createMetricsRegistry({
    labels: { gateway_id: gatewayId },
    processMetrics: options.processMetrics,
  });
  const directory = createServerDirectory({
    discovery,
    db,
    realtime,
    logger: logger.child({ part: 'directory' }),
  });
  const resolveServer: ResolveServer =
    options.resolveServer ??
    ((serverId) => {
      const server = directory.get(serverId);
      return server ? { baseUrl: `http://${server.address}:${server.port}` } : undefined;
    });
  // Gateway → server calls are our own small JSON answers: the lean client, its connections kept.
  const serverFetch = createNodeFetch();
  const serverClient = createServerClient({
    secret: options.internalSecret,
    resolveServer,
    timeoutMs: options.internalTimeoutMs,
    fetch: serverFetch,
  });
  const cache = createTankCache({ db });
  const access = createAccess({ db });
  const loads = createLoadView({ db, realtime, logger });
  const placement = options.placement ?? defaultPlacement();
  const hub = createEventHub({ realtime, logger: logger.child({ part: 'events' }) });
  const placing: Placing = { db, directory, realtime, placement, loads, serverClient, cache, logger };
  const creator = createTankCreator(placing);
  const limits =
    options.limits ??
    createLimits({ backend: createMemoryLimitBackend(), config: NO_LIMITS, scope: 'gateway' });
  const importer = createTankImporter({ ...placing, tanksPerOwner: limits.tanksPerOwner });
  const proxy = createTankProxy({ directory, serverClient, timeoutMs: options.proxyTimeoutMs });
  const metrics = createGatewayMetrics({ registry, cache, directory, hub });
  const failover = createFailover({
    ...placing,
    logger: logger.child({ part: 'failover' }),
    graceMs: options.failoverGraceMs,
    intervalMs: options.failoverRoundMs,
    absentGraceMs: options.failoverAbsentGraceMs,
    onMoved: (_tankId, from, to) => {
      metrics.failovers.inc({ from, to });
      metrics.moves.inc({ reason: 'failover' });
    },
  });
  const ctx: GatewayContext = {
    gatewayId,
    accessLogLevel: options.accessLogLevel,
    version: GATEWAY_VERSION,
    startedAt: new Date(),
    db,
    discovery,
    realtime,
    directory,
    cache,
    access,
    creator,
    importer,
    proxy,
    mover: createLiveMover(placing),
    hub,
    loads,
    limits,
    registry,
    metrics,
    logger,
  };
  return {
    gatewayId,
    logger,
    directory,
    serverFetch,
    serverClient,
    resolveServer,
    cache,
    access,
    hub,
    failover,
    ctx,
  };
}

/** Serves the built web app at `/`, or, without it, a JSON note that tells a curl user where to go. */
export function serveWebApp(app: OpenAPIHono<GatewayEnv>, webRoot: string | undefined): void {
  if (webRoot && existsSync(webRoot)) {
    app.use('/*', serveStatic({ root: webRoot }));
    return;
  }
  // Without the built web app, `/` tells a curl user where to go instead of a bare 404.
  app.get('/', (c) =>
    c.json({
      name: 'Tank World Net gateway',
      version: GATEWAY_VERSION,
      links: [
        '/api/tanks',
        '/gateway/tanks/{tank_id}',
        '/api/servers',
        '/api/events',
        '/health',
        '/metrics',
        '/openapi.json',
      ],
      dashboard: 'not built: run `npm start`, which builds web/dist',
    }),
  );
}

/**
 * Another gateway's create, delete, move, grant or revoke reaches this one as an event: drop
 * what it knew (a revoke shows on every gateway at once, not after the level cache's TTL). A
 * break in the subscription may have swallowed such events: the lookup cache stops trusting
 * what it holds, and the levels are dropped once events flow again (docs/gateways.md).
 * Returns the unsubscribe.
 */
export function forgetOnNetworkEvents({
  hub,
  cache,
  access,
}: Pick<GatewayParts, 'hub' | 'cache' | 'access'>): () => void {
  const unGap = hub.onGap((gap) => {
    cache.eventsMissed(gap);
    if (gap === 'resumed') access.clear();
  });
  const unListen = hub.listen((event) => {
    // Not `tank_created`: nothing is cached for a tank that did not exist (misses are not
    // kept), and this gateway's own create would evict the record it has just put, leaving a
    // new tank unreachable from the cache during a database outage.
    if (event.type === 'tank_deleted' || event.type === 'tank_moved') {
      cache.invalidate(event.tank_id);
      access.invalidate(event.tank_id);
    } else if (event.type === 'permission_changed') {
      access.invalidate(event.tank_id);
    }
  });
  return () => {
    unGap();
    unListen();
  };
}

/** The gateway's own entry in discovery, as `tank-gateway`; its address is known once it listens. */
export function gatewayRegistration({
  options,
  parts,
  address,
  url,
  port,
}: {
  options: GatewayOptions;
  parts: GatewayParts;
  address: () => string;
  url: () => string;
  port: () => number;
}): SelfRegistration {
  const { ctx, cache, hub } = parts;
  return createSelfRegistration({
    discovery: options.discovery,
    logger: parts.logger,
    intervalMs: options.heartbeatMs,
    self: {
      service: 'tank-gateway',
      serverId: parts.gatewayId,
      get address() {
        return address();
      },
      get port() {
        return port();
      },
      region: options.region ?? 'local',
      zone: options.zone ?? 'local-a',
      version: GATEWAY_VERSION,
      capabilities: ['lookup', 'placement', 'proxy', 'transfer', 'events'],
      get publicUrl() {
        return url();
      },
      get wsUrl() {
        return url().replace(/^http/, 'ws');
      },
      startedAt: ctx.startedAt.toISOString(),
    },
    load: () => ({
      tank_count: cache.size,
      cpu_percent: 0,
      memory_mb: Math.round(process.memoryUsage().rss / 1_048_576),
      ws_connections: hub.clients,
      ticks_behind: 0,
    }),
  });
}
