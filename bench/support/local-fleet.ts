/**
 * @module
 * The in-process network most benches measure: tank servers and one gateway in this process,
 * on one store and real-time state, found through an in-process registry (as in `npm start`,
 * but on the store the bench chose). Failover is off unless `failoverGraceMs` is given: a bench
 * stops servers on purpose.
 */
import { createInternalVerifier, createTokenVerifier } from '../../src/auth/index.ts';
import { createLocalDiscovery, createLocalRegistry, type LocalRegistry } from '../../src/discovery/index.ts';
import { createGateway, type Gateway, type PlacementStrategy } from '../../src/gateway/index.ts';
import type { Limits } from '../../src/limits/index.ts';
import type { Realtime } from '../../src/realtime/index.ts';
import { createTankServer, type TankServer } from '../../src/server/index.ts';
import type { Db } from '../../src/store/index.ts';
import type { Logger } from '../../src/telemetry/index.ts';

export interface LocalFleetOptions {
  db: Db;
  realtime: Realtime;
  logger: Logger;
  /** Signs user tokens and the gateway's internal calls alike. */
  secret: string;
  serverIds: string[];
  heartbeatMs: number;
  serverLimits?: () => Limits;
  gatewayLimits?: Limits;
  /** A registry the bench also registers simulated servers in (default: a new one). */
  registry?: LocalRegistry;
  /** The gateway's failover grace; 0 (the default) turns failover off. */
  failoverGraceMs?: number;
  /** The gateway's placement (its default unless given). */
  placement?: PlacementStrategy;
}

export interface LocalFleet {
  gateway: Gateway;
  /** The running servers by id; `startServer` puts a restarted one back. */
  servers: Map<string, TankServer>;
  startServer(id: string): Promise<TankServer>;
  /** Stops the gateway, then every server. */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const fleet = await startLocalFleet({ db: store.db, realtime, logger, secret: SECRET, serverIds: ['server-1', 'server-2'], heartbeatMs: 1000 });
 * await fetch(`${fleet.gateway.url}/api/tanks`, { method: 'POST', headers, body });
 * ```
 */
export async function startLocalFleet({
  db,
  realtime,
  logger,
  secret,
  serverIds,
  heartbeatMs,
  serverLimits,
  gatewayLimits,
  registry = createLocalRegistry(),
  failoverGraceMs = 0,
  placement,
}: LocalFleetOptions): Promise<LocalFleet> {
  const verifier = createTokenVerifier({ secret });
  const servers = new Map<string, TankServer>();
  async function startServer(id: string): Promise<TankServer> {
    const server = createTankServer({
      serverId: id,
      db,
      discovery: createLocalDiscovery({ registry, logger }),
      realtime,
      verifier,
      internalVerifier: createInternalVerifier({ secret }),
      // Signs the 2PC steps a server drives itself (fish through tubes to other servers).
      internalSecret: secret,
      logger,
      heartbeatMs,
      limits: serverLimits?.(),
    });
    await server.start();
    servers.set(id, server);
    return server;
  }
  for (const id of serverIds) await startServer(id);
  const gateway = createGateway({
    gatewayId: 'gateway-bench',
    port: 0,
    db,
    discovery: createLocalDiscovery({ registry, logger }),
    realtime,
    verifier,
    internalSecret: secret,
    logger,
    failoverGraceMs,
    limits: gatewayLimits,
    placement,
  });
  await gateway.start();
  return {
    gateway,
    servers,
    startServer,
    async stop() {
      await gateway.stop();
      for (const server of servers.values()) await server.stop();
    },
  };
}
