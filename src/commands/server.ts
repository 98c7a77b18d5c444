/**
 * @module
 * `tankworld server`: one tank server process (distributed mode or standalone).
 */
import { loadServerConfig } from '../config.ts';
import { createLocalRegistry } from '../discovery/index.ts';
import { crashPointsFromEnv } from '../fault/index.ts';
import { createTankServer } from '../server/index.ts';
import { createLogger, startTracing } from '../telemetry/index.ts';
import { createAdapters } from './adapters.ts';
import { onShutdown } from './shutdown.ts';

export async function runServer(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadServerConfig(argv, env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'tank-server' } });
  const tracing = await startTracing({ serviceName: 'tank-server', otlpEndpoint: config.otlpEndpoint });
  const adapters = await createAdapters({ config, logger, localRegistry: createLocalRegistry() });
  await adapters.store.migrate();
  const server = createTankServer({
    serverId: config.serverId,
    listenHost: config.host,
    port: config.port,
    advertiseAddress: config.advertiseAddress,
    publicUrl: config.publicUrl,
    wsUrl: config.wsUrl,
    region: config.region,
    zone: config.zone,
    db: adapters.store.db,
    discovery: adapters.discovery({ ttl: config.checkTtl, deregisterAfter: config.deregisterAfter }),
    realtime: adapters.realtime,
    verifier: adapters.verifier,
    internalVerifier: adapters.internalVerifier,
    logger,
    tickHz: config.tickHz,
    broadcastHz: config.broadcastHz,
    snapshotIntervalMs: config.snapshotIntervalMs,
    heartbeatMs: config.heartbeatMs,
    maxTanks: config.maxTanks,
    processMetrics: true,
    crash: crashPointsFromEnv({ env }),
  });
  onShutdown(logger, async () => {
    await server.stop();
    await adapters.close();
    await tracing.shutdown();
  });
  await server.start();
}
