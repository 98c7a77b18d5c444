/**
 * @module
 * One member of the native mesh: a `tankworld server` or `tankworld gateway` process and its own
 * Envoy sidecar, started the way compose starts them: the app registers itself (with
 * `connect { sidecar_service {} }`), then `consul connect envoy -sidecar-for <id>` runs beside it.
 */
import path from 'node:path';
import { type EnvoySidecarHandle, startEnvoySidecar } from './envoy.ts';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePorts } from './ports.ts';
import { type ProgramHandle, startProgram } from './program.ts';

/** The repository root, where `src/cli.ts` is. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

export interface MeshAppOptions {
  /** `server` or `gateway` (the `tankworld` command). */
  role: 'server' | 'gateway';
  /** Consul service ID: the server id, or the gateway's id. */
  id: string;
  consulHttpAddr: string;
  consulGrpcAddr: string;
  /** Environment shared by every app (database, Redis, secrets, heartbeat). */
  env: Record<string, string>;
  /** This app's own Consul ACL token, for the app (`CONSUL_HTTP_TOKEN`) and its sidecar. */
  consulToken?: string;
  /** The app's own port. Default: a free one. */
  port?: number;
  /**
   * A tank server serves `/internal/*` only on a loopback listener its sidecar forwards to
   * (default). `false` keeps them on its public port too: for a bench that compares a gateway
   * calling servers straight with one calling through the sidecars.
   */
  confineInternal?: boolean;
  consulBin?: string;
  envoyBin?: string;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running app with its sidecar; see {@link startMeshApp}. */
export interface MeshApp {
  readonly role: 'server' | 'gateway';
  readonly id: string;
  /** The app's own port on 127.0.0.1: public REST + WebSocket (a server refuses `/internal/*` there). */
  readonly port: number;
  /**
   * A tank server's mesh listener on 127.0.0.1, what its sidecar forwards to (every route,
   * `/internal/*` included); the gateway has none (its sidecar forwards to `port`).
   */
  readonly meshPort: number | undefined;
  readonly url: string;
  /** Port of the sidecar's public mTLS listener. */
  readonly sidecarPort: number;
  /** Local port of the sidecar's `tank-server` upstream. */
  readonly upstreamPort: number;
  /** Port of the sidecar's Prometheus listener (`/metrics`, Envoy's own series). */
  readonly metricsPort: number;
  /** The app's own Consul token (its service identity); `undefined` without ACLs. */
  readonly consulToken: string | undefined;
  readonly program: ProgramHandle;
  readonly sidecar: EnvoySidecarHandle;
  /** Stops the sidecar, then the app (which deregisters both). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the app, waits for its `/health`, then starts its sidecar and waits for Envoy LIVE.
 *
 * @example
 * ```ts
 * const app = await startMeshApp({ role: 'server', id: 'server-1', consulHttpAddr, consulGrpcAddr, env });
 * await fetch(`http://127.0.0.1:${gateway.upstreamPort}/health`, { headers: { 'x-tank-server': 'server-1' } });
 * ```
 */
export async function startMeshApp({
  role,
  id,
  consulHttpAddr,
  consulGrpcAddr,
  env,
  consulToken,
  port,
  confineInternal = true,
  consulBin,
  envoyBin,
  startTimeout = 60_000,
  log = silentLogger,
}: MeshAppOptions): Promise<MeshApp> {
  const [freeApp, sidecarPort, upstreamPort, freeMesh, metricsPort] = await freePorts(5);
  const appPort = port ?? freeApp!;
  const meshPort = role === 'server' && confineInternal ? freeMesh! : undefined;
  const url = `http://127.0.0.1:${appPort}`;
  const program = await startProgram({
    name: `${role}-${id}`,
    command: process.execPath,
    args: [path.join(PROJECT_ROOT, 'src/cli.ts'), role],
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(appPort),
      ...(role === 'server' ? { SERVER_ID: id } : { GATEWAY_ID: id }),
      DISCOVERY: 'consul',
      CONSUL_HTTP_ADDR: consulHttpAddr,
      ...(consulToken === undefined ? {} : { CONSUL_HTTP_TOKEN: consulToken }),
      CONNECT_SIDECAR_PORT: String(sidecarPort),
      CONNECT_BIND_ADDRESS: '127.0.0.1',
      CONNECT_UPSTREAM_PORT: String(upstreamPort),
      CONNECT_METRICS_PORT: String(metricsPort),
      ...(meshPort === undefined ? {} : { CONNECT_LOCAL_PORT: String(meshPort) }),
    },
    // The sidecar can only start once the app has registered it, which the app does before
    // it serves; `/health` answering with this id means both.
    ready: async () => {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { server_id?: string; gateway_id?: string };
      return res.ok && (role === 'server' ? body.server_id : body.gateway_id) === id;
    },
    startTimeout,
    log,
  });
  let sidecar: EnvoySidecarHandle;
  try {
    sidecar = await startEnvoySidecar({
      consulHttpAddr,
      consulGrpcAddr,
      sidecarFor: id,
      token: consulToken,
      consulBin,
      envoyBin,
      startTimeout,
      log,
    });
  } catch (err) {
    await program.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    role,
    id,
    port: appPort,
    meshPort,
    url,
    sidecarPort,
    upstreamPort,
    metricsPort: metricsPort!,
    consulToken,
    program,
    sidecar,
    stop() {
      stopping ??= (async () => {
        await sidecar.stop();
        await program.stop();
      })();
      return stopping;
    },
  };
}
