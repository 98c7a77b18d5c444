/**
 * @module
 * `tankworld gateway`: the gateway process. In the mesh (`CONNECT_UPSTREAM_PORT` set) every call
 * to a tank server goes through the local Envoy sidecar's `tank-server` upstream, over mTLS, with
 * the `x-tank-server` header that the service-router turns into that one server's subset.
 */
import { fileURLToPath } from 'node:url';
import { loadGatewayConfig } from '../config.ts';
import { createLocalRegistry, TANK_SERVER_HEADER } from '../discovery/index.ts';
import { crashPointsFromEnv } from '../fault/index.ts';
import { createGateway, type ResolveServer } from '../gateway/index.ts';
import { createLogger, startTracing } from '../telemetry/index.ts';
import { createAdapters } from './adapters.ts';
import { onShutdown } from './shutdown.ts';

/** The project's built web app; `npm start` and `npm test` build it. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

export function throughSidecar(upstreamPort: number): ResolveServer {
  const baseUrl = `http://127.0.0.1:${upstreamPort}`;
  return (serverId) => ({ baseUrl, headers: { [TANK_SERVER_HEADER]: serverId } });
}

export async function runGateway(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadGatewayConfig(argv, env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'tank-gateway' } });
  const tracing = await startTracing({ serviceName: 'tank-gateway', otlpEndpoint: config.otlpEndpoint });
  const adapters = await createAdapters({ config, logger, localRegistry: createLocalRegistry() });
  await adapters.store.migrate();
  const gateway = createGateway({
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
    internalSecret: adapters.secrets.internalSecret,
    logger,
    resolveServer: config.connectUpstreamPort ? throughSidecar(config.connectUpstreamPort) : undefined,
    webRoot: config.webRoot ?? WEB_DIST,
    failoverGraceMs: config.failoverGraceMs,
    transferRecoveryMs: config.transferRecoveryMs,
    heartbeatMs: config.heartbeatMs,
    processMetrics: true,
    crash: crashPointsFromEnv({ env }),
  });
  onShutdown(logger, async () => {
    await gateway.stop();
    await adapters.close();
    await tracing.shutdown();
  });
  await gateway.start();
}
