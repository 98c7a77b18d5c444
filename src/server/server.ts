/**
 * @module
 * A tank server: its tanks on one scheduler, REST and WebSocket on one HTTP port, the internal
 * API, the snapshotter and the heartbeat. Every adapter (discovery, store, realtime, verifiers)
 * is handed in; the CLI chooses them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { bearerAuth, type InternalVerifier, type TokenVerifier } from '../auth/index.ts';
import type { Discovery, ServerInstance, ServerRegistration } from '../discovery/index.ts';
import { type CrashPoint, noCrash } from '../fault/index.ts';
import {
  ApiError,
  answerClientErrors,
  createApi,
  observe,
  problemResponse,
  toProblem,
} from '../http/index.ts';
import {
  createLimits,
  createMemoryLimitBackend,
  type Limits,
  limitRequests,
  NO_LIMITS,
} from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { Db } from '../store/index.ts';
import { createTankHost, type TankHost } from '../tank/index.ts';
import { createMetricsRegistry, type Logger } from '../telemetry/index.ts';
import { levelOf, type ServerContext, type ServerEnv } from './context.ts';
import { forwardedByGateway } from './forwarded.ts';
import { createHeartbeat } from './heartbeat.ts';
import { createServerMetrics } from './metrics.ts';
import { refuseMisdirected } from './misdirected.ts';
import { registerEntityRoutes } from './routes-entities.ts';
import { registerInternalRoutes } from './routes-internal.ts';
import { registerMetaRoutes } from './routes-meta.ts';
import { registerSnapshotRoutes } from './routes-snapshots.ts';
import { registerTankRoutes } from './routes-tanks.ts';
import { registerTransferStepsRoute } from './routes-transfer-steps.ts';
import { registerTransferRoutes } from './routes-transfers.ts';
import { createSnapshotter } from './snapshotter.ts';
import { createTankService } from './tank-service.ts';
import { createParticipant } from './transfers.ts';
import { createViewerSockets } from './ws.ts';

export const SERVER_VERSION = '2.0.0';

export interface TankServerOptions {
  serverId: string;
  /** Interface and port to listen on (0 picks a free port). */
  listenHost?: string;
  port?: number;
  /** How others reach this server; derived from the listening address when absent. */
  advertiseAddress?: string;
  publicUrl?: string;
  wsUrl?: string;
  region?: string;
  zone?: string;
  db: Db;
  discovery: Discovery;
  realtime: Realtime;
  verifier: TokenVerifier;
  internalVerifier: InternalVerifier;
  logger: Logger;
  tickHz?: number;
  broadcastHz?: number;
  snapshotIntervalMs?: number;
  heartbeatMs?: number;
  maxTanks?: number;
  /**
   * Quotas and rate limits (requests, direct creates, open WebSockets, tanks per owner); none
   * when absent. Signed calls (`/internal/*`, and user routes a gateway forwards) are not
   * counted per client address, and `/internal/*` not per user.
   */
  limits?: Limits;
  /** Collect process-wide metrics (once per OS process). */
  processMetrics?: boolean;
  /**
   * Mesh mode: a second listener on 127.0.0.1 at this port, the one the local Envoy sidecar
   * forwards to. It serves every route; the public port then refuses `/internal/*` (404), so
   * the internal API and the 2PC participant steps are reachable only through the mesh (mTLS
   * and intentions) while clients keep REST and WebSockets on the public port.
   */
  meshPort?: number;
  /** Fault-injection points of the transfer steps (tests only; see src/fault). */
  crash?: CrashPoint;
  /** How often held transfer reservations are checked against the coordinator's log. */
  reservationSweepMs?: number;
}

export interface TankServer {
  readonly serverId: string;
  readonly host: TankHost;
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Hono's fetch, for in-process requests in tests. */
  fetch(request: Request): Response | Promise<Response>;
  start(): Promise<void>;
  /** Graceful stop: final snapshots, deregistration; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const server = createTankServer({ serverId: 'alpha', port: 8001, db, discovery, realtime, verifier, internalVerifier, logger });
 * await server.start();
 * process.on('SIGTERM', () => server.stop());
 * ```
 */
export function createTankServer(options: TankServerOptions): TankServer {
  const { serverId, db, discovery, realtime, verifier, internalVerifier } = options;
  const limits =
    options.limits ??
    createLimits({ backend: createMemoryLimitBackend(), config: NO_LIMITS, scope: 'server' });
  const logger = options.logger.child({ server_id: serverId });
  const registry = createMetricsRegistry({
    labels: { server_id: serverId },
    processMetrics: options.processMetrics,
  });
  const metrics = createServerMetrics(registry, { tankCount: () => host.size });
  const startedAt = new Date();
  const host = createTankHost({
    tickHz: options.tickHz,
    broadcastHz: options.broadcastHz,
    onTankFailed: (tank, err) => {
      metrics.tanksFailed.inc();
      logger.error({ err, tank_id: tank.id }, 'tank stopped: its simulation step threw');
    },
    onTick: ({ seconds, behind }) => {
      metrics.tickSeconds.observe(seconds);
      metrics.ticksBehind.set(behind);
    },
  });
  const viewers = createViewerSockets({
    logger,
    verifier,
    // A tank failed over to this server is adopted on its first viewer too (see `find`).
    findTank: (id) => tanks.find(id).catch(() => undefined),
    levelOf: (user, tank) => levelOf(db, user, tank),
    onViewerCount: (n) => metrics.viewers.set(n),
    onFrameSent: (bytes) => {
      metrics.framesSent.inc();
      metrics.frameBytes.inc(bytes);
    },
    onFrameSkipped: () => metrics.framesSkipped.inc(),
    connections: limits.ws,
  });
  // The participant needs the snapshotter and the tank service its restores; both are built
  // below, so it reaches them through these late-bound references.
  let late: ReturnType<typeof createParticipant> | undefined;
  const tanks = createTankService({
    serverId,
    host,
    db,
    logger,
    maxTanks: options.maxTanks,
    tanksPerOwner: limits.tanksPerOwner,
    reconcileWorld: (tankId, world) => late!.reconcileWorld(tankId, world),
    reconcileRestore: (tankId, world, live) => late!.reconcileRestore(tankId, world, live),
    onTankGone: (tankId, reason, audience) => {
      viewers.closeTank(tankId, reason === 'moved' ? 'tank moved to another server' : 'tank deleted');
      const at = new Date().toISOString();
      if (reason === 'deleted')
        realtime
          .publish({
            type: 'tank_deleted',
            tank_id: tankId,
            server_id: serverId,
            at,
            is_public: audience?.isPublic ?? false,
            readers: audience?.readers ?? [],
          })
          .catch(() => {});
    },
  });
  const snapshotter = createSnapshotter({
    serverId,
    host,
    db,
    logger,
    intervalMs: options.snapshotIntervalMs,
    onFenced: (tankId) => tanks.evict(tankId),
    onBatch: ({ seconds }) => metrics.snapshotSeconds.observe(seconds),
  });

  const participant = createParticipant({
    serverId,
    db,
    host,
    snapshotter,
    logger,
    crash: options.crash ?? noCrash,
    sweepIntervalMs: options.reservationSweepMs,
  });
  late = participant;

  const ctx: ServerContext = { serverId, version: SERVER_VERSION, db, host, tanks, snapshotter, logger };
  const app = createApi<ServerEnv>({ logger });
  app.use('*', observe({ registry, name: 'tankworld_server' }));
  app.use('*', refuseMisdirected({ serverId }));
  const fromGateway = forwardedByGateway({ verifier: internalVerifier });
  app.use('*', fromGateway.middleware);
  app.use('*', limitRequests({ limits, byAddress: true, exempt: fromGateway.exempt }));
  app.use('/api/tanks', bearerAuth({ verifier }));
  app.use('/api/tanks/*', bearerAuth({ verifier }));
  // The network's servers and their public tanks (with owners) are for users, not for anyone who can reach the port.
  app.use('/api/servers', bearerAuth({ verifier }));
  app.use('/api/*', limitRequests({ limits, byUser: true }));
  app.use(
    '/api/tanks',
    limitRequests({ limits, kind: 'creates', byUser: true, method: 'POST' }),
    limitRequests({ limits, kind: 'creates', byAddress: true, method: 'POST', exempt: fromGateway.exempt }),
  );
  registerTankRoutes(app, ctx);
  registerEntityRoutes(app, ctx);
  registerSnapshotRoutes(app, ctx);
  registerInternalRoutes(app, ctx, internalVerifier);
  registerTransferRoutes(app, serverId, participant);
  registerTransferStepsRoute(app, { participant, logger });

  let http: Server | undefined;
  let meshHttp: Server | undefined;
  let port = options.port ?? 0;
  // With a mesh listener, the public one answers /internal/* as if it had no such route.
  const publicFetch: typeof app.fetch =
    options.meshPort === undefined
      ? app.fetch
      : (request, ...rest) =>
          isInternalPath(request.url)
            ? problemResponse(
                toProblem(
                  new ApiError(
                    'not_found',
                    `no route for ${request.method} ${new URL(request.url).pathname}`,
                  ),
                ),
              )
            : app.fetch(request, ...rest);
  let registration: ServerRegistration | undefined;
  const self = (): ServerInstance => ({
    ...(registration as ServerRegistration),
    status: 'passing',
    lastOutput: '',
    load: heartbeat?.load(),
  });
  registerMetaRoutes(app, ctx, { discovery, registry, startedAt, self });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Tank World Net — tank server', version: SERVER_VERSION },
  });

  let heartbeat: ReturnType<typeof createHeartbeat> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;

  const listenHost = options.listenHost ?? '127.0.0.1';
  const urls = () => {
    const address = options.advertiseAddress ?? (listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost);
    return {
      address,
      url: options.publicUrl ?? `http://${address}:${port}`,
      wsUrl: options.wsUrl ?? `ws://${address}:${port}`,
    };
  };

  return {
    serverId,
    host,
    get url() {
      return urls().url;
    },
    get wsUrl() {
      return urls().wsUrl;
    },
    get port() {
      return port;
    },
    fetch: (request) => app.fetch(request),
    async start() {
      await tanks.loadOwned();
      host.start();
      if (options.meshPort !== undefined) {
        // Loopback only: in a pod or a compose network namespace, only the sidecar reaches it.
        meshHttp = createServer(getRequestListener(app.fetch));
        answerClientErrors(meshHttp);
        await listen(meshHttp, options.meshPort, '127.0.0.1');
      }
      http = createServer(getRequestListener(publicFetch));
      answerClientErrors(http);
      http.on('upgrade', (req, socket, head) => {
        if (!viewers.handleUpgrade(req, socket, head)) socket.destroy();
      });
      await listen(http, port, listenHost);
      port = (http.address() as AddressInfo).port;
      const { address, url, wsUrl } = urls();
      registration = {
        serverId,
        address,
        port,
        region: options.region ?? 'local',
        zone: options.zone ?? 'local-a',
        version: SERVER_VERSION,
        capabilities: ['poker', 'transfer', 'snapshots', 'binary-frames'],
        publicUrl: url,
        wsUrl,
        startedAt: startedAt.toISOString(),
      };
      heartbeat = createHeartbeat({
        self: registration,
        discovery,
        realtime,
        db,
        host,
        logger,
        intervalMs: options.heartbeatMs,
        viewerCount: () => viewers.count,
      });
      await heartbeat.start();
      // A grant or revoke made at a gateway: open WebSockets of that user on that tank take the
      // new level at once (REST reads the grants on every request anyway).
      unsubscribe = await realtime.subscribe((event) => {
        if (event.type !== 'permission_changed' || !host.get(event.tank_id)) return;
        viewers
          .recheck(event.tank_id, event.user_id)
          .catch((err) => logger.warn({ err, tank_id: event.tank_id }, 'viewer levels not rechecked'));
      });
      snapshotter.start();
      participant.start();
      logger.info({ url, ws_url: wsUrl, tanks: host.size }, 'tank server ready');
    },
    stop() {
      stopping ??= (async () => {
        logger.info('tank server stopping: final snapshots, then deregister');
        http?.close();
        meshHttp?.close();
        participant.stop();
        await unsubscribe?.().catch(() => undefined);
        await viewers.close();
        await host.stop();
        await snapshotter.stop();
        const saved = await snapshotter.flush({ all: true }).catch((err) => {
          logger.error({ err }, 'final snapshots failed');
          return 0;
        });
        await heartbeat?.stop();
        await discovery
          .deregister()
          .catch((err) => logger.warn({ err: (err as Error).message }, 'deregistration failed'));
        http?.closeAllConnections();
        meshHttp?.closeAllConnections();
        logger.info({ saved }, 'tank server stopped');
      })();
      return stopping;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** `/internal` and everything under it: the gateway's and the other servers' API. */
function isInternalPath(url: string): boolean {
  const { pathname } = new URL(url);
  return pathname === '/internal' || pathname.startsWith('/internal/');
}
