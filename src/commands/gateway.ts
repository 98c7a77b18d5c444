/**
 * @module
 * `tankworld gateway`: the gateway process. In the mesh (`CONNECT_UPSTREAM_PORT` set) every call
 * to a tank server goes through the local Envoy sidecar's `tank-server` upstream, over mTLS, with
 * the `x-tank-server` header that the service-router turns into that one server's subset.
 */
import { fileURLToPath } from 'node:url';
import {
  fleetTiming,
  type GatewayConfig,
  limitsConfigOf,
  loadCrashConfig,
  loadGatewayConfig,
} from '../config.ts';
import { type CrashPoint, createCrashPoints } from '../fault/index.ts';
import { createGateway, type GatewayOptions } from '../gateway/index.ts';
import { createLimits } from '../limits/index.ts';
import { throughSidecar } from '../server-client/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { Adapters } from './adapters.ts';
import { runProcess } from './process.ts';

/** The project's built web app; `npm start` and `npm test` build it. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** The settings a gateway takes from any process's config (`tankworld dev` passes a server's). */
export type GatewaySharedConfig = Pick<
  GatewayConfig,
  'host' | 'accessLogLevel' | 'checkTtl' | 'deregisterAfter' | 'heartbeatMs' | 'leaseMarginMs' | 'webRoot'
> &
  Parameters<typeof limitsConfigOf>[0];

/**
 * The options a gateway takes from its config and adapters, as `serverOptionsFrom` does for a
 * server; what tells this gateway apart (id, port, URLs, failover and recovery timing) is the
 * caller's.
 *
 * @example
 * ```ts
 * createGateway({ ...gatewayOptionsFrom({ config, adapters, logger, crash }), gatewayId, port });
 * ```
 */
export function gatewayOptionsFrom({
  config,
  adapters,
  logger,
  crash,
}: {
  config: GatewaySharedConfig;
  adapters: Adapters;
  logger: Logger;
  crash: CrashPoint;
}) {
  return {
    listenHost: config.host,
    db: adapters.store.db,
    discovery: adapters.discovery({ ttl: config.checkTtl, deregisterAfter: config.deregisterAfter }),
    realtime: adapters.realtime,
    verifier: adapters.verifier,
    tokenMinter: adapters.tokenMinter,
    internalSecret: adapters.secrets.internalSecret,
    logger,
    accessLogLevel: config.accessLogLevel,
    webRoot: config.webRoot ?? WEB_DIST,
    heartbeatMs: config.heartbeatMs,
    failoverRoundMs: fleetTiming(config).failoverRoundMs,
    crash,
    limits: createLimits({
      backend: adapters.limitBackend,
      config: limitsConfigOf(config),
      scope: 'gateway',
    }),
  } satisfies Partial<GatewayOptions>;
}

export async function runGateway(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadGatewayConfig(argv, env);
  await runProcess({
    service: 'tank-gateway',
    config,
    build: ({ adapters, logger }) =>
      createGateway({
        ...gatewayOptionsFrom({ config, adapters, logger, crash: createCrashPoints(loadCrashConfig(env)) }),
        gatewayId: config.gatewayId,
        port: config.port,
        advertiseAddress: config.advertiseAddress,
        publicUrl: config.publicUrl,
        region: config.region,
        zone: config.zone,
        resolveServer: config.connectUpstreamPort ? throughSidecar(config.connectUpstreamPort) : undefined,
        // Unset: the lease margin plus one round, so a live owner has always fenced itself first.
        failoverGraceMs: fleetTiming(config).failoverGraceMs,
        failoverAbsentGraceMs: fleetTiming(config).failoverAbsentGraceMs,
        transferRecoveryMs: config.transferRecoveryMs,
        processMetrics: true,
      }),
  });
}
