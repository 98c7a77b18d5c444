/**
 * @module
 * One tank server in the test process, on the real adapters a `tankworld server` uses: the
 * harness PostgreSQL (or PGlite in memory), in-process discovery and real-time state, HS256
 * tokens. Requests go over its real HTTP port, so body limits, headers and upgrades are the
 * ones a client meets.
 */
import { createInternalVerifier, createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import {
  createLocalDiscovery,
  createLocalRegistry,
  type LocalRegistry,
  parseGoDuration,
} from '../../src/discovery/index.ts';
import type { AccessLogLevel } from '../../src/http/index.ts';
import type { Limits } from '../../src/limits/index.ts';
import { createRealtime, type Realtime } from '../../src/realtime/index.ts';
import { createTankServer, type TankServer } from '../../src/server/index.ts';
import { createStore, type Store } from '../../src/store/index.ts';
import { createLogger, type Logger } from '../../src/telemetry/index.ts';
import type { Cleanup } from '../support/index.ts';

export const SECRET = 'server-tests-secret-0123456789';

export interface TestServerOptions {
  cleanup: Cleanup;
  /** PostgreSQL database URL; PGlite in memory when absent. */
  databaseUrl?: string;
  serverId?: string;
  snapshotIntervalMs?: number;
  broadcastHz?: number;
  /** An existing store (a second server on the same database); not closed by this fixture. */
  store?: Store;
  /** The in-process discovery registry, shared by servers that should see each other. */
  registry?: LocalRegistry;
  /** Real-time state shared with a gateway (as in `tankworld dev`); not closed by this fixture. */
  realtime?: Realtime;
  /** Heartbeat period (load, tank stats, TTL); one a minute unless a test needs live stats. */
  heartbeatMs?: number;
  /** The discovery check's TTL; three heartbeats by default, as in production (10 s and 30 s). */
  ttl?: string;
  /** Quotas and rate limits (low ones in the limit tests); none by default. */
  limits?: Limits;
  /** Where the server logs; silent by default. */
  logger?: Logger;
  /** The access log's level (`info` by default). */
  accessLogLevel?: AccessLogLevel;
  /** The region the server registers in (`local` by default); its zone is `<region>-a`. */
  region?: string;
  /** The most tanks the server holds (2000 by default). */
  maxTanks?: number;
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON unless it is a string (sent as-is). */
  body?: unknown;
  /** A user id to mint a token for, a raw token string via `rawToken`, or none. */
  user?: string;
  rawToken?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  readonly server: TankServer;
  readonly store: Store;
  token(user: string): Promise<string>;
  request(path: string, options?: RequestOptions): Promise<Response>;
  /** A request whose reply must have `status`; returns its parsed JSON body. */
  json<T = Record<string, unknown>>(path: string, status: number, options?: RequestOptions): Promise<T>;
}

/**
 * @example
 * ```ts
 * const cleanup = useCleanup();
 * const db = await useDatabase({ cleanup });
 * const t = await startTestServer({ cleanup, databaseUrl: db.url });
 * const tank = await t.json('/api/tanks', 201, { method: 'POST', user: 'alice', body: { name: 'Reef' } });
 * ```
 */
export async function startTestServer({
  cleanup,
  databaseUrl,
  serverId = 'server-test',
  snapshotIntervalMs = 60_000,
  broadcastHz,
  store: given,
  registry = createLocalRegistry(),
  realtime: sharedRealtime,
  heartbeatMs = 60_000,
  ttl = `${Math.ceil((heartbeatMs * 3) / 1000)}s`,
  limits,
  logger = createLogger({ level: (process.env.TEST_SERVER_LOG as 'warn' | undefined) ?? 'silent' }),
  accessLogLevel,
  region,
  maxTanks,
}: TestServerOptions): Promise<TestServer> {
  const store = given ?? cleanup.add(createStore({ databaseUrl, dataDir: 'memory://', poolSize: 4 }));
  await store.migrate();
  const realtime = sharedRealtime ?? cleanup.add(await createRealtime({}));
  // A long test file must not see its server go critical between two beats.
  const discovery = createLocalDiscovery({ registry, ttl });
  const server = createTankServer({
    serverId,
    port: 0,
    db: store.db,
    discovery,
    realtime,
    verifier: createTokenVerifier({ secret: SECRET }),
    internalVerifier: createInternalVerifier({ secret: SECRET }),
    internalSecret: SECRET,
    logger,
    snapshotIntervalMs,
    broadcastHz,
    heartbeatMs,
    // The lease the settings would give (TTL less a sixth): a short heartbeat under a long TTL
    // must not fence the server on a busy machine's stall. (Some stacks pair a long heartbeat
    // with a short TTL and expire it by hand; they keep 2.5 heartbeats.)
    leaseMs: Math.max((parseGoDuration(ttl) * 5) / 6, heartbeatMs * 2.5),
    limits,
    accessLogLevel,
    ...(region === undefined ? {} : { region, zone: `${region}-a` }),
    maxTanks,
  });
  await server.start();
  cleanup.add(server);

  const tokens = new Map<string, string>();
  async function token(user: string): Promise<string> {
    let t = tokens.get(user);
    if (!t) {
      t = await mintToken({ secret: SECRET, userId: user });
      tokens.set(user, t);
    }
    return t;
  }

  async function request(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.rawToken ?? (options.user ? await token(options.user) : undefined);
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(`${server.url}${path}`, { method: options.method ?? 'GET', headers, body });
  }

  async function json<T>(path: string, status: number, options?: RequestOptions): Promise<T> {
    const res = await request(path, options);
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${options?.method ?? 'GET'} ${path}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return { server, store, token, request, json };
}
