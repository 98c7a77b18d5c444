/**
 * @module
 * A gateway in the test process in front of tank servers from `test/server/fixture.ts`, all on
 * one local registry, one store (PGlite in memory unless a database URL is given) and one
 * in-process real-time state, as `tankworld dev` runs them; with a helper that sends a request
 * as a user, with a raw token, or with none, to the first gateway or another one.
 */
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import {
  type Clock,
  createLocalDiscovery,
  createLocalRegistry,
  type LocalRegistry,
} from '../../src/discovery/index.ts';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.ts';
import type { Limits } from '../../src/limits/index.ts';
import { createRealtime, type Realtime } from '../../src/realtime/index.ts';
import type { Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { SECRET, startTestServer, type TestServer } from '../server/fixture.ts';
import type { Cleanup } from '../support/index.ts';

export { SECRET };

export interface GatewayStackOptions {
  cleanup: Cleanup;
  /** How many tank servers stand behind the gateway. */
  servers?: number;
  databaseUrl?: string;
  /** The registry's clock (a manual one expires heartbeats on demand). */
  clock?: Clock;
  /** The servers' heartbeat period (live loads and tank stats in real-time state). */
  heartbeatMs?: number;
  /** The servers' snapshot period (a snapshot write is where a server learns it lost a tank). */
  snapshotIntervalMs?: number;
  /** Options of the first gateway over the fixture's defaults (resolveServer, placement…). */
  gateway?: Partial<GatewayOptions>;
  /** The tank servers' quotas and rate limits; none by default. */
  serverLimits?: Limits;
  /** Each server's region, by position (`server-1` first); the default region otherwise. */
  regions?: string[];
  /** Each server's most tanks, by position; the server's default otherwise. */
  maxTanks?: Array<number | undefined>;
}

export interface CallOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** A user to mint a valid token for. */
  user?: string;
  /** A token sent as is (forged, expired…); wins over `user`. */
  rawToken?: string;
  /** Sent as is instead of `body` (malformed JSON, oversize bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The gateway to ask; the stack's first one by default. */
  via?: Gateway;
}

export interface GatewayStack {
  readonly gateway: Gateway;
  readonly servers: TestServer[];
  readonly registry: LocalRegistry;
  readonly realtime: Realtime;
  readonly store: Store;
  /** Another gateway on the same registry, store and real-time state. */
  addGateway(gatewayId: string, options?: Partial<GatewayOptions>): Promise<Gateway>;
  /** One request through `gateway.fetch`; `path` includes its query. */
  call(path: string, options?: CallOptions): Promise<Response>;
  /** A request whose reply must have `status`; returns its parsed JSON body. */
  json<T = Record<string, unknown>>(path: string, status: number, options?: CallOptions): Promise<T>;
}

/**
 * @example
 * ```ts
 * const stack = await startGatewayStack({ cleanup });
 * const { tank } = await stack.json('/api/tanks', 201, { method: 'POST', user: 'alice', body: { name: 'Reef' } });
 * ```
 */
export async function startGatewayStack({
  cleanup,
  servers: count = 1,
  databaseUrl,
  clock,
  heartbeatMs,
  snapshotIntervalMs,
  gateway: overrides,
  serverLimits,
  regions = [],
  maxTanks = [],
}: GatewayStackOptions): Promise<GatewayStack> {
  const registry = createLocalRegistry({ clock });
  // Tests expire heartbeats with a manual clock against the production TTL.
  const ttl = '30s';
  const realtime = cleanup.add(await createRealtime({}));
  const first = await startTestServer({
    cleanup,
    databaseUrl,
    serverId: 'server-1',
    registry,
    realtime,
    heartbeatMs,
    ttl,
    snapshotIntervalMs,
    limits: serverLimits,
    region: regions[0],
    maxTanks: maxTanks[0],
  });
  const servers = [first];
  for (let i = 2; i <= count; i++) {
    servers.push(
      await startTestServer({
        cleanup,
        serverId: `server-${i}`,
        registry,
        store: first.store,
        realtime,
        heartbeatMs,
        ttl,
        snapshotIntervalMs,
        limits: serverLimits,
        region: regions[i - 1],
        maxTanks: maxTanks[i - 1],
      }),
    );
  }

  async function addGateway(gatewayId: string, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
    const added = createGateway({
      gatewayId,
      port: 0,
      db: first.store.db,
      discovery: createLocalDiscovery({ registry }),
      realtime,
      verifier: createTokenVerifier({ secret: SECRET }),
      internalSecret: SECRET,
      logger: createLogger({ level: 'silent' }),
      failoverGraceMs: 0,
      ...options,
    });
    await added.start();
    cleanup.add(() => added.stop());
    return added;
  }
  const gateway = await addGateway('gateway-test', overrides);

  async function call(path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    const token =
      options.rawToken ??
      (options.user ? await mintToken({ secret: SECRET, userId: options.user }) : undefined);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let body = options.rawBody;
    if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const via = options.via ?? gateway;
    return via.fetch(new Request(`${via.url}${path}`, { method: options.method ?? 'GET', headers, body }));
  }

  async function json<T>(path: string, status: number, options?: CallOptions): Promise<T> {
    const res = await call(path, options);
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${options?.method ?? 'GET'} ${path}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return { gateway, servers, registry, realtime, store: first.store, addGateway, call, json };
}
