/**
 * @module
 * The gateway process's parts put together: the server directory (a discovery watch), the
 * lookup and permission caches (dropped on the network's events), placement, the proxy, the
 * event hub behind `/api/events`, failover, the transfer coordinator and the gateway's own
 * registration as `tank-gateway`; all on one HTTP port, with the web app served at `/`.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { TokenMinter, TokenVerifier } from '../auth/index.ts';
import type { Discovery } from '../discovery/index.ts';
import type { CrashPoint } from '../fault/index.ts';
import { answerClientErrors, createNodeFetch, type OpenAPIHono } from '../http/index.ts';
import { createLimits, createMemoryLimitBackend, type Limits, NO_LIMITS } from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { Db } from '../store/index.ts';
import { createMetricsRegistry, type Logger } from '../telemetry/index.ts';
import { createAccess } from './access.ts';
import { createGatewayApp } from './app.ts';
import { createTankCache } from './cache.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { createTankCreator } from './create-tank.ts';
import { createServerDirectory } from './directory.ts';
import { createEventHub } from './events.ts';
import { createFailover } from './failover.ts';
import { createLoadView } from './load-view.ts';
import { createGatewayMetrics } from './metrics.ts';
import { defaultPlacement, type PlacementStrategy } from './placement.ts';
import type { Placing } from './placing.ts';
import { createTankProxy } from './proxy.ts';
import { createSelfRegistration } from './registration.ts';
import { createServerClient, type ResolveServer } from './server-client.ts';
import { cachingVerifier } from './token-cache.ts';
import { registerTransfers } from './transfers/index.ts';

export const GATEWAY_VERSION = '2.0.0';

export interface GatewayOptions {
  gatewayId: string;
  /** Interface and port to listen on (0 picks a free port). */
  listenHost?: string;
  port: number;
  /** How others reach this gateway; derived from the listening address when absent. */
  advertiseAddress?: string;
  publicUrl?: string;
  region?: string;
  zone?: string;
  db: Db;
  discovery: Discovery;
  realtime: Realtime;
  verifier: TokenVerifier;
  /**
   * Mints the web viewer's short-lived WebSocket tokens (`GET /api/session/ws-token`); absent
   * when user tokens come from an identity provider, and the session's own token is given.
   */
  tokenMinter?: TokenMinter;
  /** The shared secret internal calls to tank servers are signed with. */
  internalSecret: string;
  logger: Logger;
  /**
   * How a server is reached: straight at its registered address by default; through the local
   * Envoy upstream (with the per-server routing header) in the mesh.
   */
  resolveServer?: ResolveServer;
  placement?: PlacementStrategy;
  /** Deadline of a proxied call to a tank's server (504 `upstream_timeout` past it). */
  proxyTimeoutMs?: number;
  /** Deadline of the internal calls to servers (create, adopt, transfer steps); 5 s by default. */
  internalTimeoutMs?: number;
  /** Folder of the built web app (`web/dist`); not served when absent. */
  webRoot?: string;
  /** Milliseconds a server stays unavailable before its tanks are moved; 0 turns failover off. */
  failoverGraceMs?: number;
  heartbeatMs?: number;
  /** Fault-injection points of the transfer coordinator (tests only). */
  crash?: CrashPoint;
  /** Period of the transfer recovery pass (5 s by default); idle transfers are taken after two. */
  transferRecoveryMs?: number;
  /** Node process metrics on `/metrics` (off when several parts share one process). */
  processMetrics?: boolean;
  /** Quotas and rate limits (requests, creates, transfers, event streams, tanks per owner); none when absent. */
  limits?: Limits;
}

export interface Gateway {
  readonly gatewayId: string;
  readonly url: string;
  readonly port: number;
  readonly app: OpenAPIHono<GatewayEnv>;
  readonly ctx: GatewayContext;
  /** Answers a request in-process (tests, benchmarks). */
  fetch(request: Request): Promise<Response>;
  start(): Promise<void>;
  /** Stops serving, deregisters and stops every loop. Idempotent. */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const gateway = createGateway({ gatewayId: 'gateway-1', port: 8080, db, discovery, realtime, verifier, internalSecret, logger });
 * await gateway.start();
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
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
  const proxy = createTankProxy({ directory, serverClient, timeoutMs: options.proxyTimeoutMs });
  const metrics = createGatewayMetrics({ registry, cache, directory, hub });
  const failover = createFailover({
    ...placing,
    logger: logger.child({ part: 'failover' }),
    graceMs: options.failoverGraceMs,
    onMoved: (_tankId, from, to) => metrics.failovers.inc({ from, to }),
  });
  const ctx: GatewayContext = {
    gatewayId,
    version: GATEWAY_VERSION,
    startedAt: new Date(),
    db,
    discovery,
    realtime,
    directory,
    cache,
    access,
    creator,
    proxy,
    hub,
    loads,
    limits:
      options.limits ??
      createLimits({ backend: createMemoryLimitBackend(), config: NO_LIMITS, scope: 'gateway' }),
    registry,
    metrics,
    logger,
  };
  const verifier = cachingVerifier({ verifier: options.verifier });
  const app = createGatewayApp({ ctx, verifier, tokenMinter: options.tokenMinter });
  const transfers = registerTransfers(app, {
    ctx,
    client: serverClient,
    verifier,
    crash: options.crash,
    recoveryIntervalMs: options.transferRecoveryMs,
    recoveryIdleMs: options.transferRecoveryMs && 2 * options.transferRecoveryMs,
  });
  if (options.webRoot && existsSync(options.webRoot)) {
    app.use('/*', serveStatic({ root: options.webRoot }));
  } else {
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

  // Another gateway's create, delete, move, grant or revoke reaches this one as an event: drop
  // what it knew (a revoke shows on every gateway at once, not after the level cache's TTL).
  const unlisten = hub.listen((event) => {
    if (event.type === 'tank_created' || event.type === 'tank_deleted' || event.type === 'tank_moved') {
      cache.invalidate(event.tank_id);
      access.invalidate(event.tank_id);
    } else if (event.type === 'permission_changed') {
      access.invalidate(event.tank_id);
    }
  });

  let http: Server | undefined;
  let port = options.port;
  const listenHost = options.listenHost ?? '127.0.0.1';
  const address = () => options.advertiseAddress ?? (listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost);
  const url = () => options.publicUrl ?? `http://${address()}:${port}`;
  const registration = createSelfRegistration({
    discovery,
    logger,
    intervalMs: options.heartbeatMs,
    self: {
      service: 'tank-gateway',
      serverId: gatewayId,
      get address() {
        return address();
      },
      get port() {
        return port;
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
  let stopping: Promise<void> | undefined;

  return {
    gatewayId,
    app,
    ctx,
    get url() {
      return url();
    },
    get port() {
      return port;
    },
    fetch: async (request) => app.fetch(request),
    async start() {
      await directory.start();
      await hub.start();
      http = createServer(getRequestListener(app.fetch));
      answerClientErrors(http);
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(port, listenHost, () => resolve());
      });
      port = (http.address() as AddressInfo).port;
      await registration.start();
      if (options.failoverGraceMs !== 0) failover.start();
      logger.info({ url: url(), servers: directory.all().length }, 'gateway ready');
    },
    stop() {
      stopping ??= (async () => {
        http?.close();
        http?.closeAllConnections();
        unlisten();
        await transfers.stop();
        await failover.stop();
        await registration.stop();
        await hub.stop();
        await directory.stop();
        serverFetch.close();
        logger.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
