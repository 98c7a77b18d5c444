/**
 * @module
 * The one place that chooses adapters: PostgreSQL or PGlite, Redis or in-process real-time
 * state and limit counts, Consul or the in-process registry, from the validated configuration. Everything
 * below receives instances; no module keeps one in a global.
 */
import path from 'node:path';
import {
  createInternalVerifier,
  createTokenMinter,
  createTokenVerifier,
  type TokenMinter,
} from '../auth/index.ts';
import { type CommonConfig, ConfigError } from '../config.ts';
import {
  type ConnectOptions,
  createConsulDiscovery,
  createLocalDiscovery,
  type Discovery,
  type LocalRegistry,
  parseGoDuration,
  ServiceName,
} from '../discovery/index.ts';
import { createMemoryLimitBackend, createRedisLimitBackend, type LimitBackend } from '../limits/index.ts';
import { createRealtime, type Realtime } from '../realtime/index.ts';
import { createStore, type Store } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

export interface Adapters {
  store: Store;
  realtime: Realtime;
  secrets: Secrets;
  verifier: ReturnType<typeof createTokenVerifier>;
  /** Mints user tokens on the shared secret; absent when they come from an identity provider. */
  tokenMinter: TokenMinter | undefined;
  internalVerifier: ReturnType<typeof createInternalVerifier>;
  /** Where limit counts are kept: Redis when REDIS_URL is set (shared by every process), else here. */
  limitBackend: LimitBackend;
  /** A Discovery for one participant (a server or the gateway). */
  discovery(options: { ttl?: string; deregisterAfter?: string }): Discovery;
  close(): Promise<void>;
}

export interface AdapterOptions {
  config: CommonConfig & { discovery?: 'consul' | 'local' };
  logger: Logger;
  /** Shared by every participant of an embedded process. */
  localRegistry?: LocalRegistry;
}

/** The mesh part of a registration, when CONNECT_SIDECAR_PORT says this process has a sidecar. */
function connectOptions(config: CommonConfig): ConnectOptions | undefined {
  if (!config.connectSidecarPort) return undefined;
  return {
    sidecarPort: config.connectSidecarPort,
    bindAddress: config.connectBindAddress,
    // Only a tank server has a mesh listener of its own (see `createTankServer`'s `meshPort`).
    localServicePort:
      'connectLocalPort' in config ? (config.connectLocalPort as number | undefined) : undefined,
    upstreams: config.connectUpstreamPort
      ? [{ destinationName: ServiceName.tankServer, localBindPort: config.connectUpstreamPort }]
      : [],
  };
}

export async function createAdapters({ config, logger, localRegistry }: AdapterOptions): Promise<Adapters> {
  const secrets = await loadSecrets(config);
  const useConsul = (config.discovery ?? (config.distributed ? 'consul' : 'local')) === 'consul';
  if (!useConsul && !localRegistry)
    throw new Error('the in-process discovery needs the process-wide registry');
  if (config.distributed && (!config.databaseUrl || !config.redisUrl)) {
    throw new ConfigError('DISTRIBUTED_MODE needs DATABASE_URL and REDIS_URL');
  }
  const store = createStore({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.dataDir, 'pglite'),
    logger: logger.child({ part: 'store' }),
    pgliteTemplate: config.pgliteTemplate,
  });
  const realtime = await createRealtime({
    redisUrl: config.redisUrl,
    onError: (err) => logger.warn({ err: (err as Error).message }, 'real-time state'),
  });
  const limitBackend = config.redisUrl
    ? await createRedisLimitBackend({
        url: config.redisUrl,
        onError: (err) => logger.warn({ err: (err as Error).message }, 'limit counts: redis unavailable'),
      })
    : createMemoryLimitBackend();
  const closers: Array<() => Promise<void>> = [
    () => limitBackend.close(),
    () => realtime.close(),
    () => store.close(),
  ];
  return {
    store,
    realtime,
    secrets,
    verifier: createTokenVerifier({
      secret: config.jwksUrl ? undefined : secrets.jwtSecret,
      jwksUrl: config.jwksUrl,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
    }),
    tokenMinter:
      config.jwksUrl || !secrets.jwtSecret
        ? undefined
        : createTokenMinter({
            secret: secrets.jwtSecret,
            issuer: config.jwtIssuer,
            audience: config.jwtAudience,
          }),
    internalVerifier: createInternalVerifier({ secret: secrets.internalSecret }),
    limitBackend,
    discovery({ ttl, deregisterAfter }) {
      const common = {
        ttl,
        deregisterCriticalAfter: deregisterAfter,
        logger: logger.child({ part: 'discovery' }),
      };
      return useConsul
        ? createConsulDiscovery({
            ...common,
            consulAddr: config.consulAddr,
            token: config.consulToken,
            // A TTL pass answered after the TTL is worth nothing: give up on it then and retry.
            requestTimeoutMs: ttl ? Math.min(5000, parseGoDuration(ttl)) : undefined,
            connect: connectOptions(config),
          })
        : createLocalDiscovery({ ...common, registry: localRegistry! });
    },
    async close() {
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}
