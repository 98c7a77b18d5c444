/**
 * @module
 * Helpers for the mesh tests: the native mesh with its real gateway on the harness database,
 * Envoy admin counters, calls through a sidecar upstream with the per-server header, a caller
 * service with its own sidecar, a raw probe of a sidecar's public listener by a client that has
 * no Connect certificate, and a user of the gateway's HTTP API.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { mintToken } from '../../src/auth/index.ts';
import { type NativeMesh, startNativeMesh, TANK_SERVER_HEADER } from '../../src/mesh/index.ts';
import type { Cleanup } from '../support/index.ts';
import {
  binaries,
  type EnvoySidecarHandle,
  freePorts,
  startEnvoySidecar,
  useDatabase,
} from '../support/index.ts';

export const MESH_SECRET = 'mesh-test-secret-0123456789abcdef';

/**
 * `startNativeMesh` as `tankworld mesh up` runs it (servers `serverIds`, the real gateway, each
 * behind its own Envoy), on a harness database, with 1 s heartbeats so health and load move fast.
 */
export async function startTestMesh({
  cleanup,
  serverIds,
}: {
  cleanup: Cleanup;
  serverIds: string[];
}): Promise<NativeMesh & { gateway: NonNullable<NativeMesh['gateway']> }> {
  const db = await useDatabase({ cleanup });
  const bins = binaries();
  const mesh = await startNativeMesh({
    serverIds,
    gateway: true,
    databaseUrl: db.url,
    jwtSecret: MESH_SECRET,
    internalSecret: MESH_SECRET,
    env: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '1000', CHECK_TTL: '5s' },
    binaries: {
      consul: bins.consul,
      envoy: bins.envoy,
      redisServer: bins.redisServer,
      postgresBinDir: bins.postgresBinDir,
    },
  });
  cleanup.add(mesh);
  return mesh as NativeMesh & { gateway: NonNullable<NativeMesh['gateway']> };
}

/** A user `userId` of the mesh's gateway. */
export async function meshUser(mesh: NativeMesh, userId = 'alice'): Promise<GatewayUser> {
  return gatewayUser(mesh.gateway!.url, await mintToken({ secret: MESH_SECRET, userId }));
}

/** Every counter of an Envoy whose name matches `pattern`, as name → value. */
export async function envoyStats(adminUrl: string, pattern: RegExp): Promise<Map<string, number>> {
  const text = await (await fetch(`${adminUrl}/stats`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:]+): (\d+)$/.exec(line);
    if (match && pattern.test(match[1]!)) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** One counter (summed over matches, 0 when absent). */
export async function envoyCounter(adminUrl: string, pattern: RegExp): Promise<number> {
  let sum = 0;
  for (const value of (await envoyStats(adminUrl, pattern)).values()) sum += value;
  return sum;
}

/** TLS handshakes completed on a sidecar's public (inbound mTLS) listener. */
export function publicHandshakes(sidecar: EnvoySidecarHandle, sidecarPort: number): Promise<number> {
  return envoyCounter(
    sidecar.adminUrl,
    new RegExp(`^listener\\.127\\.0\\.0\\.1_${sidecarPort}\\.ssl\\.handshake$`),
  );
}

/** Requests a sidecar forwarded to its own app (Consul names that cluster `local_app`). */
export function requestsToApp(sidecar: EnvoySidecarHandle): Promise<number> {
  return envoyCounter(sidecar.adminUrl, /^cluster\.local_app\.upstream_rq_total$/);
}

/** `GET path` through a local upstream port, addressed to one tank server. */
export async function viaUpstream(
  upstreamPort: number,
  serverId: string,
  path = '/health',
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`http://127.0.0.1:${upstreamPort}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), [TANK_SERVER_HEADER]: serverId },
    signal: AbortSignal.timeout(5000),
  });
}

export interface Caller {
  id: string;
  upstreamPort: number;
  sidecar: EnvoySidecarHandle;
}

/**
 * A service `name` that only calls `tank-server` through its sidecar: registered with a
 * `tank-server` upstream, its Envoy started the production way.
 */
export async function startCaller({
  name,
  consul,
  token,
  cleanup,
}: {
  name: string;
  consul: { url: string; httpAddr: string; grpcAddr: string };
  /** With ACLs on: a token that may register `name` (its service identity). */
  token?: string;
  cleanup: Cleanup;
}): Promise<Caller> {
  const id = `${name}-${randomBytes(3).toString('hex')}`;
  const [appPort, sidecarPort, upstreamPort] = await freePorts(3);
  const res = await fetch(`${consul.url}/v1/agent/service/register`, {
    method: 'PUT',
    headers: token ? { 'x-consul-token': token } : {},
    body: JSON.stringify({
      Name: name,
      ID: id,
      Address: '127.0.0.1',
      Port: appPort,
      Connect: {
        SidecarService: {
          Port: sidecarPort,
          Proxy: {
            Config: { bind_address: '127.0.0.1' },
            Upstreams: [{ DestinationName: 'tank-server', LocalBindPort: upstreamPort }],
          },
        },
      },
    }),
  });
  if (!res.ok) throw new Error(`register ${id}: ${res.status} ${await res.text()}`);
  const bins = binaries();
  const sidecar = await startEnvoySidecar({
    consulHttpAddr: consul.httpAddr,
    consulGrpcAddr: consul.grpcAddr,
    consulBin: bins.consul,
    envoyBin: bins.envoy,
    sidecarFor: id,
    token,
    cleanup,
  });
  return { id, upstreamPort: upstreamPort!, sidecar };
}

/**
 * Opens a connection to `port` (plain TCP, or TLS with no client certificate), sends an HTTP
 * request and says whether an HTTP answer came back or the connection was refused/reset.
 */
export function probeWithoutCert(port: number, mode: 'plain' | 'tls'): Promise<'answered' | 'refused'> {
  return new Promise((resolve) => {
    const socket =
      mode === 'tls'
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'tank-server' })
        : net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (verdict: 'answered' | 'refused') => {
      socket.destroy();
      clearTimeout(timer);
      resolve(verdict);
    };
    const timer = setTimeout(() => done(data.startsWith('HTTP/') ? 'answered' : 'refused'), 5000);
    socket.once(mode === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.write('GET /health HTTP/1.1\r\nhost: tank-server\r\nconnection: close\r\n\r\n');
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.startsWith('HTTP/')) done('answered');
    });
    socket.on('error', () => done('refused'));
    socket.on('close', () => done(data.startsWith('HTTP/') ? 'answered' : 'refused'));
  });
}

/** A user of the real gateway over HTTP, with one bearer token. */
export interface GatewayUser {
  /** `POST /api/tanks` through the gateway; returns the tank id and the server it was placed on. */
  createTank(name: string, initialFish?: number): Promise<{ tankId: string; serverId: string }>;
  /** Any request through the gateway, with the token. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** Fish uids of a tank, read through the gateway's proxy. */
  fishOf(tankId: string): Promise<Array<{ id: number; uid: string }>>;
  /** `POST /gateway/transfer` of one fish. */
  transfer(source: string, dest: string, entityId: number): Promise<Response>;
}

export function gatewayUser(gatewayUrl: string, token: string): GatewayUser {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${gatewayUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
      signal: AbortSignal.timeout(15_000),
    });
  return {
    call,
    async createTank(name, initialFish = 4) {
      const res = await call('/api/tanks', {
        method: 'POST',
        body: JSON.stringify({ name, initial_fish: initialFish }),
      });
      const body = (await res.json()) as { tank?: { tank_id: string; server_id: string } };
      if (res.status !== 201 || !body.tank)
        throw new Error(`create ${name}: ${res.status} ${JSON.stringify(body)}`);
      return { tankId: body.tank.tank_id, serverId: body.tank.server_id };
    },
    async fishOf(tankId) {
      const res = await call(`/api/tanks/${tankId}/entities?kind=fish`);
      if (!res.ok) throw new Error(`entities of ${tankId}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { entities: Array<{ id: number; uid: string }> }).entities;
    },
    transfer: (source, dest, entityId) =>
      call('/gateway/transfer', {
        method: 'POST',
        body: JSON.stringify({
          source_tank_id: source,
          dest_tank_id: dest,
          entity_id: entityId,
          entity_type: 'fish',
        }),
      }),
  };
}

/**
 * Creates tanks through the gateway until two of them sit on different servers (placement weighs
 * live CPU before tank counts, so the first few may share one); returns those two.
 */
export async function tanksOnTwoServers(
  user: GatewayUser,
  prefix: string,
): Promise<[{ tankId: string; serverId: string }, { tankId: string; serverId: string }]> {
  const first = await user.createTank(`${prefix}-0`);
  for (let i = 1; i <= 12; i++) {
    const next = await user.createTank(`${prefix}-${i}`);
    if (next.serverId !== first.serverId) return [first, next];
  }
  throw new Error(`13 tanks created through the gateway all landed on ${first.serverId}`);
}

/** Requests a caller's sidecar (admin at `adminUrl`) sent into one server's subset, `s-<id>`. */
export function requestsToSubset(adminUrl: string, serverId: string): Promise<number> {
  return envoyCounter(
    adminUrl,
    new RegExp(`^cluster\\.s-${serverId}\\.tank-server\\..*\\.upstream_rq_total$`),
  );
}

/** Opens a WebSocket and resolves with its first message (the server's `hello`), then closes it. */
export function firstWsMessage(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`no message from ${url}`));
    }, 15_000);
    ws.onmessage = (m) => {
      clearTimeout(timer);
      ws.close();
      resolve(typeof m.data === 'string' ? m.data : '(binary)');
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error(`WebSocket ${url} failed`));
    };
  });
}
