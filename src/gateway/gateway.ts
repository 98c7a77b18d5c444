import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { answerClientErrors, type OpenAPIHono } from '../http/index.ts';
import { createGatewayApp } from './app.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import type { GatewayOptions } from './options.ts';
import { buildGatewayParts, forgetOnNetworkEvents, gatewayRegistration, serveWebApp } from './parts.ts';
import { createWsRelay } from './relay/index.ts';
import { registerLineageRoutes } from './routes-lineages.ts';
import { cachingVerifier } from './token-cache.ts';
import { registerTransfers } from './transfers/index.ts';

export type { GatewayOptions } from './options.ts';
export { GATEWAY_VERSION } from './options.ts';

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
  registerLineageRoutes(app, { ctx, client: parts.serverClient });
  const relay = createWsRelay({
    ctx,
    verifier,
    tokenMinter: options.tokenMinter,
    resolveServer: parts.resolveServer,
    internalSecret: options.internalSecret,
    ...options.relay,
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
      http = answerClientErrors(createServer(getRequestListener(app.fetch)));
      // `/ws/<tank_id>` is relayed to the tank's server; any other upgrade is not ours.
      http.on('upgrade', (req, socket, head) => {
        if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
      });
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
        await relay.close();
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
