/**
 * @module
 * The whole mesh on one machine without Docker, in the topology of `compose.yaml`: a Consul
 * agent (UI on), PostgreSQL and Redis (started here, or existing URLs), migrations, the config
 * entries, then N tank servers and the gateway, each with its own Envoy sidecar. `tankworld mesh
 * up` runs it; the mesh tests run it too, so what users start is what was tested.
 *
 * Consul runs with default-deny ACLs: an operator token made for this run writes the config
 * entries and intentions, and each app (and its sidecar) gets a token of its own that can only
 * register its service, pass its checks and read the catalog.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { secretFileEnvNames } from '../config.ts';
import { PROMETHEUS_TARGETS_PATH } from '../gateway/index.ts';
import { createServiceToken } from './acl.ts';
import { applyConfigEntries, type ConfigEntry, MeshService, meshConfigEntries } from './config-entries.ts';
import { type ConsulHandle, startConsul } from './consul.ts';
import { MeshError, MeshErrorCode } from './errors.ts';
import { type MeshLogger, silentLogger } from './logger.ts';
import { type MeshApp, PROJECT_ROOT, startMeshApp } from './mesh-app.ts';
import { passingServerIds, waitForGatewayView, waitForRoutes } from './mesh-ready.ts';
import { freePort } from './ports.ts';
import { type PostgresHandle, startPostgres } from './postgres.ts';
import { type PrometheusHandle, startPrometheus } from './prometheus.ts';
import { type RedisHandle, startRedis } from './redis.ts';
import { waitFor } from './wait.ts';
import { startZipkin, type ZipkinHandle } from './zipkin.ts';

export interface NativeMeshOptions {
  /** Tank server ids; default `server-1` … `server-<servers>`. */
  serverIds?: readonly string[];
  servers?: number;
  /** Start the gateway (and its sidecar). */
  gateway?: boolean;
  /** An existing PostgreSQL database; default: one started here. */
  databaseUrl?: string;
  /** An existing Redis; default: one started here. */
  redisUrl?: string;
  /**
   * An agent already running (tests); default: a dev agent started here, UI on, ACLs on. With
   * ACLs, its `managementToken` is the operator token the mesh uses.
   */
  consul?: ConsulHandle;
  jwtSecret: string;
  internalSecret: string;
  /** Extra environment for every app, e.g. `{ HEARTBEAT_MS: '1000', LOG_LEVEL: 'warn' }`. */
  env?: Record<string, string>;
  /** `false`: servers also serve `/internal/*` on their public port (see `MeshAppOptions`). */
  confineInternal?: boolean;
  binaries?: { consul?: string; envoy?: string; redisServer?: string; postgresBinDir?: string };
  /**
   * Prometheus (scraping what the gateway's service discovery lists; needs the gateway) and
   * Zipkin (the apps and sidecars send it their spans); each started when its program is given.
   */
  observability?: { prometheusBin?: string; zipkinJar?: string; java?: string };
  log?: MeshLogger;
}

/** A running native mesh; see {@link startNativeMesh}. */
export interface NativeMesh {
  readonly consul: ConsulHandle;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly servers: readonly MeshApp[];
  readonly gateway: MeshApp | undefined;
  readonly entries: readonly ConfigEntry[];
  readonly prometheus: PrometheusHandle | undefined;
  readonly zipkin: ZipkinHandle | undefined;
  /**
   * The operator's Consul token (ACL `initial_management`): the UI login, config entries,
   * intentions. `undefined` on a given agent without ACLs.
   */
  readonly operatorToken: string | undefined;
  /** Where the operator token is kept for this run (mode 0600), when the mesh started Consul. */
  readonly operatorTokenFile: string | undefined;
  /** Stops every process this mesh started, apps first. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the mesh and resolves when every tank server is passing in Consul (its heartbeat and
 * its sidecar), so the first request through a sidecar finds its route.
 *
 * @example
 * ```ts
 * const mesh = await startNativeMesh({ servers: 3, gateway: true, jwtSecret, internalSecret });
 * console.log(mesh.consul.url + '/ui/');
 * await mesh.stop();
 * ```
 */
export async function startNativeMesh(options: NativeMeshOptions): Promise<NativeMesh> {
  const {
    gateway: withGateway = false,
    jwtSecret,
    internalSecret,
    binaries = {},
    log = silentLogger,
  } = options;
  const serverIds =
    options.serverIds ?? Array.from({ length: options.servers ?? 3 }, (_, i) => `server-${i + 1}`);
  if (serverIds.length === 0)
    throw new MeshError(MeshErrorCode.invalidOption, 'a mesh needs at least one tank server');
  const observability = options.observability ?? {};
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const handle of started.reverse()) await handle.stop().catch(() => undefined);
  };
  try {
    const consul =
      options.consul ??
      (await startConsul({ bin: binaries.consul, log, acl: { managementToken: randomUUID() } }));
    if (!options.consul) started.push(consul);
    const operatorToken = consul.managementToken;
    let operatorTokenFile: string | undefined;
    if (!options.consul && operatorToken) {
      // The agent's run dir (0700, removed on stop): the token lives as long as this mesh.
      operatorTokenFile = path.join(path.dirname(consul.logFile), 'operator-token');
      await writeFile(operatorTokenFile, `${operatorToken}\n`, { mode: 0o600 });
    }
    // Zipkin's JVM takes from 6 s (quiet) to a minute (busy) to start: the apps do not wait for
    // it (their exporters and the sidecars' tracer retry), only the mesh's readiness does.
    const zipkinStart = startZipkinAside(observability, log);
    if (zipkinStart) started.push({ stop: () => zipkinStart.handle.then((z) => z.stop()) });
    const [databaseUrl, redisUrl] = await Promise.all([
      options.databaseUrl ??
        startPostgres({ binDir: binaries.postgresBinDir, log }).then((pg: PostgresHandle) => {
          started.push(pg);
          return pg.createDatabase('tankworld');
        }),
      options.redisUrl ??
        startRedis({ bin: binaries.redisServer, log }).then((redis: RedisHandle) => {
          started.push(redis);
          return redis.url;
        }),
    ]);
    const zipkinPort = await zipkinStart?.port;
    const entries = meshConfigEntries({
      serverIds,
      zipkin: zipkinPort === undefined ? undefined : { host: '127.0.0.1', port: zipkinPort },
    });
    const env: Record<string, string> = {
      // The values below are given directly: a `*_FILE` inherited from the caller's shell would
      // clash with them.
      ...Object.fromEntries(secretFileEnvNames().map((name) => [name, ''])),
      DISTRIBUTED_MODE: 'true',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET: jwtSecret,
      INTERNAL_SECRET: internalSecret,
      ...(zipkinPort === undefined
        ? {}
        : { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${zipkinPort}/api/v2/spans` }),
      ...options.env,
    };
    // The compose migrate job, here: once, before any app starts.
    await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'src/cli.ts'), 'migrate'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    });
    await applyConfigEntries({ consulUrl: consul.url, entries, token: operatorToken });
    // Each app's own token: only its service identity (never the operator's).
    const tokenFor = async (role: 'server' | 'gateway', id: string) =>
      operatorToken === undefined
        ? undefined
        : createServiceToken({
            consulUrl: consul.url,
            operatorToken,
            serviceName: role === 'server' ? MeshService.tankServer : MeshService.gateway,
            description: `tankworld ${role} ${id}`,
          });
    const common = {
      consulHttpAddr: consul.httpAddr,
      consulGrpcAddr: consul.grpcAddr,
      env,
      consulBin: binaries.consul,
      envoyBin: binaries.envoy,
      confineInternal: options.confineInternal,
      log,
    };
    const servers: MeshApp[] = [];
    await Promise.all(
      serverIds.map(async (id) => {
        const app = await startMeshApp({
          role: 'server',
          id,
          consulToken: await tokenFor('server', id),
          ...common,
        });
        started.push(app);
        servers.push(app);
      }),
    );
    servers.sort((a, b) => serverIds.indexOf(a.id) - serverIds.indexOf(b.id));
    let gateway: MeshApp | undefined;
    if (withGateway) {
      gateway = await startMeshApp({
        role: 'gateway',
        id: 'gateway-1',
        consulToken: await tokenFor('gateway', 'gateway-1'),
        ...common,
      });
      started.push(gateway);
    }
    await waitFor(
      async () => (await passingServerIds(consul.url, operatorToken)).length === serverIds.length,
      {
        what: 'every tank server passing in consul (heartbeat and sidecar)',
        timeout: 60_000,
        interval: 200,
      },
    );
    // Passing in the catalog is not yet routable: each subset's endpoints reach the other
    // sidecars over xDS a moment later. Ready means a request for each server lands on it,
    // through the gateway's sidecar when there is a gateway (the caller that matters).
    await waitForRoutes((gateway ?? servers[0]!).upstreamPort, serverIds);
    if (gateway) await waitForGatewayView(gateway.url, serverIds.length);
    let prometheus: PrometheusHandle | undefined;
    if (gateway && observability.prometheusBin !== undefined) {
      prometheus = await startPrometheus({
        targetsUrl: `${gateway.url}${PROMETHEUS_TARGETS_PATH}`,
        bin: observability.prometheusBin,
        log,
      });
      started.push(prometheus);
    }
    const zipkin = await zipkinStart?.handle;
    let stopping: Promise<void> | undefined;
    return {
      consul,
      databaseUrl,
      redisUrl,
      servers,
      gateway,
      entries,
      prometheus,
      zipkin,
      operatorToken,
      operatorTokenFile,
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Starts Zipkin (when its jar is given) on a port known at once, without waiting for it. */
function startZipkinAside(
  { zipkinJar, java }: NonNullable<NativeMeshOptions['observability']>,
  log: MeshLogger,
): { port: Promise<number>; handle: Promise<ZipkinHandle> } | undefined {
  if (zipkinJar === undefined) return undefined;
  const port = freePort();
  const handle = port.then((p) => startZipkin({ jar: zipkinJar, java, port: p, log }));
  // Awaited later (readiness, stop); a failure is reported there, not as an unhandled rejection.
  handle.catch(() => undefined);
  return { port, handle };
}
