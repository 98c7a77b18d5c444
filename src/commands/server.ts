/**
 * @module
 * `tankworld server`: one tank server process (distributed mode or standalone).
 */
import {
  fleetTiming,
  limitsConfigOf,
  loadCrashConfig,
  loadServerConfig,
  type ServerConfig,
} from '../config.ts';
import { createCrashPoints } from '../fault/index.ts';
import { createLimits } from '../limits/index.ts';
import { createTankServer, type TankServer, type TankServerOptions } from '../server/index.ts';
import { throughSidecar } from '../server-client/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { Adapters } from './adapters.ts';
import { type ProcessPart, runProcess } from './process.ts';

/**
 * The options every tank server of a process takes from its config and adapters; what tells
 * servers apart (id, port, URLs, process metrics) is the caller's.
 */
export function serverOptionsFrom({
  config,
  adapters,
  logger,
}: {
  config: ServerConfig;
  adapters: Adapters;
  logger: Logger;
}) {
  const timing = fleetTiming(config);
  return {
    listenHost: config.host,
    region: config.region,
    zone: config.zone,
    db: adapters.store.db,
    discovery: adapters.discovery({ ttl: config.checkTtl, deregisterAfter: config.deregisterAfter }),
    realtime: adapters.realtime,
    verifier: adapters.verifier,
    internalVerifier: adapters.internalVerifier,
    // Tube moves to other servers' tanks are 2PC steps this server signs.
    internalSecret: adapters.secrets.internalSecret,
    // In the mesh those steps go through this server's sidecar: public ports refuse `/internal/*`.
    resolveServer: config.connectUpstreamPort ? throughSidecar(config.connectUpstreamPort) : undefined,
    logger,
    accessLogLevel: config.accessLogLevel,
    tickHz: config.tickHz,
    broadcastHz: config.broadcastHz,
    snapshotIntervalMs: config.snapshotIntervalMs,
    heartbeatMs: timing.heartbeatMs,
    leaseMs: timing.leaseMs,
    loadReportMs: timing.loadReportMs,
    // The gateway restores a dead server's tanks about two margins and a round after it fenced.
    fencedRetryAfterS: Math.ceil((2 * timing.leaseMarginMs + timing.failoverRoundMs) / 1000),
    maxTanks: config.maxTanks,
    // Every server of a backend counts together (one user's budget is fleet-wide).
    limits: createLimits({ backend: adapters.limitBackend, config: limitsConfigOf(config), scope: 'server' }),
  } satisfies Partial<TankServerOptions>;
}

export async function runServer(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadServerConfig(argv, env);
  await runProcess({
    service: 'tank-server',
    config,
    build: ({ adapters, logger }) =>
      drainingOnStop(
        createTankServer({
          ...serverOptionsFrom({ config, adapters, logger }),
          serverId: config.serverId,
          port: config.port,
          advertiseAddress: config.advertiseAddress,
          publicUrl: config.publicUrl,
          wsUrl: config.wsUrl,
          meshPort: config.connectSidecarPort ? config.connectLocalPort : undefined,
          processMetrics: true,
          crash: createCrashPoints(loadCrashConfig(env)),
        }),
        config.drainTimeoutMs,
      ),
  });
}

/**
 * SIGTERM drains the server first (its tanks move, live, to other servers; see
 * `src/server/drain.ts`), then stops it as before: what could not move gets its final snapshot.
 */
function drainingOnStop(server: TankServer, timeoutMs: number): ProcessPart {
  return {
    start: () => server.start(),
    async stop() {
      if (timeoutMs > 0) await server.drain({ timeoutMs });
      await server.stop();
    },
  };
}
