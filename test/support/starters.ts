/**
 * @module
 * The `src/mesh` starters for a test file's own, killable instances, with the programs found
 * the way `scripts/run.sh` names them (`TANKWORLD_CONSUL_BIN`, `TANKWORLD_ENVOY_BIN`, else the
 * pinned builds in the per-user cache) and an optional cleanup registry that stops them.
 */
import path from 'node:path';
import {
  type ConsulHandle,
  type ConsulOptions,
  type EnvoySidecarHandle,
  type EnvoySidecarOptions,
  type MeshBinaries,
  startConsul as meshStartConsul,
  startEnvoySidecar as meshStartEnvoySidecar,
  startPostgres as meshStartPostgres,
  startProgram as meshStartProgram,
  startRedis as meshStartRedis,
  type PostgresHandle,
  type PostgresOptions,
  PROJECT_ROOT,
  type ProgramHandle,
  type ProgramOptions,
  type RedisHandle,
  type RedisOptions,
  resolveBinaries,
} from '../../src/mesh/index.ts';
import type { Cleanup } from './cleanup.ts';
import { consulAddr, consulGrpcAddr } from './shared.ts';

/** Options every harness starter adds to its `src/mesh` one. */
export interface WithCleanup {
  /** Registers the handle's `stop()` here, so the instance cannot outlive the test file. */
  cleanup?: Cleanup;
}

/**
 * The program paths for this run, honouring the `TANKWORLD_*_BIN` overrides.
 *
 * @example
 * ```ts
 * execFileSync(binaries().envoy, ['--version']);
 * ```
 */
export function binaries(): MeshBinaries {
  return resolveBinaries({ env: process.env });
}

/**
 * A PostgreSQL of the test's own, to kill and restart.
 *
 * @example
 * ```ts
 * const pg = await startPostgres({ cleanup });
 * await pg.kill();
 * ```
 */
export async function startPostgres({
  cleanup,
  ...options
}: PostgresOptions & WithCleanup = {}): Promise<PostgresHandle> {
  const handle = await meshStartPostgres({ binDir: binaries().postgresBinDir, ...options });
  cleanup?.add(handle);
  return handle;
}

/**
 * A Redis of the test's own, to kill and restart.
 *
 * @example
 * ```ts
 * const redis = await startRedis({ cleanup });
 * ```
 */
export async function startRedis({
  cleanup,
  ...options
}: RedisOptions & WithCleanup = {}): Promise<RedisHandle> {
  const handle = await meshStartRedis({ bin: binaries().redisServer, ...options });
  cleanup?.add(handle);
  return handle;
}

/**
 * A Consul dev agent of the test's own (a restart makes it forget every registration).
 *
 * @example
 * ```ts
 * const consul = await startConsul({ cleanup });
 * ```
 */
export async function startConsul({
  cleanup,
  ...options
}: ConsulOptions & WithCleanup = {}): Promise<ConsulHandle> {
  const handle = await meshStartConsul({ bin: binaries().consul, ...options });
  cleanup?.add(handle);
  return handle;
}

/** {@link EnvoySidecarOptions} with the agent addresses defaulting to the shared agent. */
export type TestEnvoySidecarOptions = Omit<EnvoySidecarOptions, 'consulHttpAddr' | 'consulGrpcAddr'> &
  Partial<Pick<EnvoySidecarOptions, 'consulHttpAddr' | 'consulGrpcAddr'>> &
  WithCleanup;

/**
 * An Envoy sidecar for a registered Connect service, on the shared Consul agent unless
 * `consulHttpAddr`/`consulGrpcAddr` name another one.
 *
 * @example
 * ```ts
 * const envoy = await startEnvoySidecar({ sidecarFor: 'web-1', cleanup });
 * expect(await (await fetch(`${envoy.adminUrl}/ready`)).text()).toBe('LIVE\n');
 * ```
 */
export async function startEnvoySidecar({
  cleanup,
  consulHttpAddr,
  consulGrpcAddr: grpcAddr,
  ...options
}: TestEnvoySidecarOptions): Promise<EnvoySidecarHandle> {
  const bins = binaries();
  const handle = await meshStartEnvoySidecar({
    consulBin: bins.consul,
    envoyBin: bins.envoy,
    consulHttpAddr: consulHttpAddr ?? consulAddr(),
    consulGrpcAddr: grpcAddr ?? consulGrpcAddr(),
    ...options,
  });
  cleanup?.add(handle);
  return handle;
}

/** Options of {@link startProgram}: the `src/mesh` ones, a cleanup, and a namespace to run in. */
export interface TestProgramOptions extends ProgramOptions, WithCleanup {
  /**
   * A network namespace (`createNetns().name`) to run the program in, through
   * `ip netns exec`, which execs it: the pid, its signals (SIGSTOP, SIGKILL) and `restart()`
   * are the program's own.
   */
  netns?: string;
}

/**
 * Any long-running program (a `tankworld server` in a fault test) under the same lifecycle,
 * ready when `ready()` is truthy.
 *
 * @example
 * ```ts
 * const server = await startProgram({ name: 'server-1', command: process.execPath,
 *   args: ['src/cli.ts', 'server'], ready: async () => (await fetch(healthUrl)).ok, cleanup });
 * ```
 */
export async function startProgram({
  cleanup,
  netns,
  command,
  args = [],
  ...options
}: TestProgramOptions): Promise<ProgramHandle> {
  const handle = await meshStartProgram({
    ...options,
    ...(netns ? { command: 'ip', args: ['netns', 'exec', netns, command, ...args] } : { command, args }),
  });
  cleanup?.add(handle);
  return handle;
}

export interface TankworldOptions extends WithCleanup {
  /** The `tankworld` command: a tank server or a gateway. */
  role: 'server' | 'gateway';
  /** Its server id or gateway id. */
  id: string;
  port: number;
  env: Record<string, string>;
  startTimeout?: number;
  /**
   * Runs it in this network namespace; `host` is where the readiness probe finds it from the
   * root namespace (bind it there too, e.g. `HOST=0.0.0.0`).
   */
  netns?: { name: string; host: string };
}

/**
 * Starts a `tankworld server` or `tankworld gateway` process from this checkout on `port`;
 * ready once its `/health` answers with its id.
 *
 * @example
 * ```ts
 * const gateway = await startTankworld({ role: 'gateway', id: 'gw-1', port, env, cleanup });
 * ```
 */
export function startTankworld({ role, id, port, env, startTimeout, netns, cleanup }: TankworldOptions) {
  return startProgram({
    name: `tank-${role}-${id}`,
    command: process.execPath,
    args: [path.join(PROJECT_ROOT, 'src/cli.ts'), role, '--port', String(port), `--${role}-id`, id],
    cwd: PROJECT_ROOT,
    env,
    ready: async () => {
      const res = await fetch(`http://${netns?.host ?? '127.0.0.1'}:${port}/health`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = (await res.json()) as Record<string, unknown>;
      return res.ok && body[`${role}_id`] === id;
    },
    startTimeout,
    netns: netns?.name,
    cleanup,
  });
}
