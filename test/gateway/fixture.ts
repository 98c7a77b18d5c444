/**
 * @module
 * A gateway in the test process in front of tank servers from `test/server/fixture.ts`, all on
 * one local registry and one store (PGlite in memory unless a database URL is given), with a
 * helper that sends a request as a user, with a raw token, or with none.
 */
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { SECRET, startTestServer, type TestServer } from '../server/fixture.ts';
import type { Cleanup } from '../support/index.ts';

export { SECRET };

export interface GatewayStackOptions {
  cleanup: Cleanup;
  /** How many tank servers stand behind the gateway. */
  servers?: number;
  databaseUrl?: string;
}

export interface CallOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** A user to mint a valid token for. */
  user?: string;
  /** A token sent as is (forged, expired…); wins over `user`. */
  rawToken?: string;
}

export interface GatewayStack {
  readonly gateway: Gateway;
  readonly servers: TestServer[];
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
}: GatewayStackOptions): Promise<GatewayStack> {
  const registry = createLocalRegistry();
  const first = await startTestServer({ cleanup, databaseUrl, serverId: 'server-1', registry });
  const servers = [first];
  for (let i = 2; i <= count; i++) {
    servers.push(await startTestServer({ cleanup, serverId: `server-${i}`, registry, store: first.store }));
  }
  const realtime = cleanup.add(await createRealtime({}));
  const gateway = createGateway({
    gatewayId: 'gateway-test',
    port: 0,
    db: first.store.db,
    discovery: createLocalDiscovery({ registry }),
    realtime,
    verifier: createTokenVerifier({ secret: SECRET }),
    internalSecret: SECRET,
    logger: createLogger({ level: 'silent' }),
    failoverGraceMs: 0,
  });
  await gateway.start();
  cleanup.add(() => gateway.stop());

  async function call(path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    const token =
      options.rawToken ??
      (options.user ? await mintToken({ secret: SECRET, userId: options.user }) : undefined);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    return gateway.fetch(
      new Request(`${gateway.url}${path}`, { method: options.method ?? 'GET', headers, body }),
    );
  }

  async function json<T>(path: string, status: number, options?: CallOptions): Promise<T> {
    const res = await call(path, options);
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${options?.method ?? 'GET'} ${path}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return { gateway, servers, call, json };
}
