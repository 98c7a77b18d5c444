/**
 * @module
 * `tankworld server`: one tank server process (distributed mode or standalone).
 */
import { loadServerConfig } from '../config.ts';
import { crashPointsFromEnv } from '../fault/index.ts';
import { createTankServer } from '../server/index.ts';
import { runProcess } from './process.ts';

export async function runServer(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadServerConfig(argv, env);
  await runProcess({
    service: 'tank-server',
    config,
    build: ({ adapters, logger }) =>
      createTankServer({
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
      }),
  });
}
