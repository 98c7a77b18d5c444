/**
 * @module
 * `tankworld gateway`: the gateway process. In the mesh (`CONNECT_UPSTREAM_PORT` set) every call
 * to a tank server goes through the local Envoy sidecar's `tank-server` upstream, over mTLS, with
 * the `x-tank-server` header that the service-router turns into that one server's subset.
 */
import { fileURLToPath } from 'node:url';
import { limitsConfigOf, loadGatewayConfig } from '../config.ts';
import { TANK_SERVER_HEADER } from '../discovery/index.ts';
import { crashPointsFromEnv } from '../fault/index.ts';
import { createGateway, type ResolveServer } from '../gateway/index.ts';
import { createLimits } from '../limits/index.ts';
import { runProcess } from './process.ts';

/** The project's built web app; `npm start` and `npm test` build it. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

export function throughSidecar(upstreamPort: number): ResolveServer {
  const baseUrl = `http://127.0.0.1:${upstreamPort}`;
  return (serverId) => ({ baseUrl, headers: { [TANK_SERVER_HEADER]: serverId } });
}

export async function runGateway(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadGatewayConfig(argv, env);
  await runProcess({
    service: 'tank-gateway',
    config,
    build: ({ adapters, logger }) =>
      createGateway({
        gatewayId: config.gatewayId,
        listenHost: config.host,
        port: config.port,
        advertiseAddress: config.advertiseAddress,
        publicUrl: config.publicUrl,
        region: config.region,
        zone: config.zone,
        db: adapters.store.db,
        discovery: adapters.discovery({ ttl: config.checkTtl, deregisterAfter: config.deregisterAfter }),
        realtime: adapters.realtime,
        verifier: adapters.verifier,
        tokenMinter: adapters.tokenMinter,
        internalSecret: adapters.secrets.internalSecret,
        logger,
        resolveServer: config.connectUpstreamPort ? throughSidecar(config.connectUpstreamPort) : undefined,
        webRoot: config.webRoot ?? WEB_DIST,
        failoverGraceMs: config.failoverGraceMs,
        transferRecoveryMs: config.transferRecoveryMs,
        heartbeatMs: config.heartbeatMs,
        processMetrics: true,
        crash: crashPointsFromEnv({ env }),
        limits: createLimits({
          backend: adapters.limitBackend,
          config: limitsConfigOf(config),
          scope: 'gateway',
        }),
      }),
  });
}
