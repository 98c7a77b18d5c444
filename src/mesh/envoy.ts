/**
 * @module
 * An Envoy sidecar for a Consul Connect service: `consul connect envoy -sidecar-for <id>
 * -bootstrap` renders the bootstrap the production entrypoint uses, and Envoy is started on it,
 * then takes listeners, clusters and certificates from the agent over xDS. Ready when the admin
 * API says `LIVE`. Envoy is our own child rather than exec'd by `consul connect envoy`: Go may
 * exec from a thread other than the one setpriv armed, which drops the parent-death signal, and
 * a killed parent then left that Envoy running.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveBinaries } from './binaries.ts';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePort } from './ports.ts';
import { envoyIsLive } from './probes.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

export interface EnvoySidecarOptions {
  /** The agent's HTTP address (host:port), e.g. `ConsulHandle.httpAddr`. */
  consulHttpAddr: string;
  /** The agent's plaintext gRPC address (host:port), e.g. `ConsulHandle.grpcAddr`. */
  consulGrpcAddr: string;
  /** ID of the registered service whose `Connect.SidecarService` this Envoy runs. */
  sidecarFor: string;
  /** Envoy admin port on 127.0.0.1. Default: a free port. */
  adminPort?: number;
  /**
   * Envoy `--base-id`. Only matters with hot restart, which `consul connect envoy` turns off
   * (`--disable-hot-restart`) unless `envoyArgs` asks for it with `--restart-epoch`; then each
   * Envoy on a host needs its own id, since its shared memory is keyed by it.
   */
  baseId?: number;
  /** Extra Envoy flags, e.g. `['--log-level', 'debug']`. */
  envoyArgs?: readonly string[];
  /** Default: the pinned Consul build in the per-user cache. */
  consulBin?: string;
  /** Default: the pinned Envoy in the per-user cache (`scripts/install-envoy.sh`). */
  envoyBin?: string;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running Envoy sidecar; see {@link startEnvoySidecar}. */
export interface EnvoySidecarHandle extends ServiceControl {
  /** `http://127.0.0.1:<admin port>`: `/ready`, `/listeners`, `/stats`, `/config_dump`. */
  readonly adminUrl: string;
  readonly adminPort: number;
  readonly sidecarFor: string;
  readonly logFile: string;
}

/**
 * Starts Envoy as the Connect sidecar of service `sidecarFor` and resolves once it is LIVE,
 * that is once it holds the configuration Consul pushed. Consul 1.14 only refuses Envoy older
 * than 1.21, so the pinned 1.36 runs as it is (1.14 has no `-ignore-envoy-compatibility`).
 *
 * @example
 * ```ts
 * await fetch(`${consul.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({
 *   Name: 'web', ID: 'web-1', Port: 8080, Connect: { SidecarService: {} } }) });
 * const envoy = await startEnvoySidecar({
 *   consulHttpAddr: consul.httpAddr, consulGrpcAddr: consul.grpcAddr, sidecarFor: 'web-1' });
 * await fetch(`${envoy.adminUrl}/listeners`);
 * await envoy.stop();
 * ```
 */
export async function startEnvoySidecar({
  consulHttpAddr,
  consulGrpcAddr,
  sidecarFor,
  adminPort,
  baseId,
  envoyArgs = [],
  consulBin = resolveBinaries().consul,
  envoyBin = resolveBinaries().envoy,
  startTimeout = 30_000,
  log = silentLogger,
}: EnvoySidecarOptions): Promise<EnvoySidecarHandle> {
  const runDir = await createRunDir({ name: 'envoy' });
  const logFile = join(runDir.path, 'envoy.log');
  try {
    return await retryOnPortClash(adminPort !== undefined, async () => {
      const port = adminPort ?? (await freePort());
      const adminUrl = `http://127.0.0.1:${port}`;
      const consulEnv = {
        ...process.env,
        CONSUL_HTTP_ADDR: consulHttpAddr,
        CONSUL_GRPC_ADDR: consulGrpcAddr,
      };
      const { stdout: bootstrap } = await promisify(execFile)(
        consulBin,
        [
          'connect',
          'envoy',
          '-sidecar-for',
          sidecarFor,
          '-admin-bind',
          `127.0.0.1:${port}`,
          '-bootstrap',
        ],
        { env: consulEnv, cwd: runDir.path },
      );
      const configPath = join(runDir.path, 'bootstrap.json');
      await writeFile(configPath, bootstrap);
      const args = [
        '--config-path',
        configPath,
        // As `consul connect envoy` does: hot restart only when the caller asks for it.
        ...(envoyArgs.includes('--restart-epoch') ? [] : ['--disable-hot-restart']),
        ...(baseId === undefined ? [] : ['--base-id', String(baseId)]),
        ...envoyArgs,
      ];
      const control = await startService({
        name: 'envoy',
        spawn: () =>
          spawnLogged({
            name: 'envoy',
            command: envoyBin,
            args,
            logFile,
            cwd: runDir.path,
            missingHint: 'install it with scripts/install-envoy.sh or pass envoyBin',
          }),
        ready: () => envoyIsLive(adminUrl, { configDir: runDir.path }),
        stopSignal: 'SIGTERM',
        startTimeout,
        log,
        details: { sidecarFor, adminUrl },
        onStopped: () => runDir.remove(),
      });
      return withControls(control, { adminUrl, adminPort: port, sidecarFor, logFile });
    });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}
