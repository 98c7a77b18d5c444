import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { TokenMinter, TokenVerifier } from '../auth/index.ts';
import type { Discovery } from '../discovery/index.ts';
import type { CrashPoint } from '../fault/index.ts';
import { answerClientErrors, type OpenAPIHono } from '../http/index.ts';
import type { Limits } from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { createGatewayApp } from './app.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { buildGatewayParts, forgetOnNetworkEvents, gatewayRegistration, serveWebApp } from './parts.ts';
import type { PlacementStrategy } from './placement.ts';
import type { ResolveServer } from './server-client.ts';
import { cachingVerifier } from './token-cache.ts';
import { registerTransfers } from './transfers/index.ts';

export { GATEWAY_VERSION } from './parts.ts';

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
  const parts = buildGatewayParts(options);
  const { gatewayId, logger, directory, hub, failover, serverFetch, ctx } = parts;
  const verifier = cachingVerifier({ verifier: options.verifier });
  const app = createGatewayApp({ ctx, verifier, tokenMinter: options.tokenMinter });
  const transfers = registerTransfers(app, {
    ctx,
    client: parts.serverClient,
    verifier,
    crash: options.crash,
    recoveryIntervalMs: options.transferRecoveryMs,
    recoveryIdleMs: options.transferRecoveryMs && 2 * options.transferRecoveryMs,
  });
  serveWebApp(app, options.webRoot);
  const unlisten = forgetOnNetworkEvents(parts);

  let http: Server | undefined;
  let port = options.port;
  const listenHost = options.listenHost ?? '127.0.0.1';
  const address = () => options.advertiseAddress ?? (listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost);
  const url = () => options.publicUrl ?? `http://${address()}:${port}`;
  const registration = gatewayRegistration({ options, parts, address, url, port: () => port });
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
