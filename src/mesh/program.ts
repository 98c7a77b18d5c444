/**
 * @module
 * Any other long-running program under the same lifecycle as the services: the project's own
 * `tankworld server` and `gateway` processes in fault tests, with a caller-given readiness
 * probe (typically `GET /health`).
 */
import { join } from 'node:path';
import { type MeshLogger, silentLogger } from './logger.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { type ServiceControl, startService, withControls } from './service.ts';

export interface ProgramOptions {
  /** Short name for logs, errors and the temp dir, e.g. `tank-server-1`. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Resolves truthy once the program serves, e.g. `async () => (await fetch(url)).ok`; a throw
   * (connection refused) counts as "not yet". Make it identify the program if a stranger could
   * hold its port (e.g. check a server id in the `/health` body).
   */
  ready: () => Promise<unknown>;
  /** How a graceful stop asks it to exit. */
  stopSignal?: NodeJS.Signals;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running program; see {@link startProgram}. */
export interface ProgramHandle extends ServiceControl {
  readonly name: string;
  readonly logFile: string;
}

/**
 * Starts `command` with its output in a log file and resolves once `ready()` is truthy.
 * `restart()` runs the same command line again.
 *
 * @example
 * ```ts
 * const server = await startProgram({
 *   name: 'tank-server-1', command: process.execPath, args: ['src/cli.ts', 'server', '--port', String(port)],
 *   ready: async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok,
 * });
 * await server.kill();
 * ```
 */
export async function startProgram({
  name,
  command,
  args = [],
  env,
  cwd,
  ready,
  stopSignal = 'SIGTERM',
  startTimeout = 30_000,
  log = silentLogger,
}: ProgramOptions): Promise<ProgramHandle> {
  const runDir = await createRunDir({ name: name.replace(/[^\w.-]/g, '_') });
  const logFile = join(runDir.path, `${name.replace(/[^\w.-]/g, '_')}.log`);
  try {
    const control = await startService({
      name,
      spawn: () => spawnLogged({ name, command, args, env, cwd, logFile }),
      ready: () => ready(),
      stopSignal,
      startTimeout,
      log,
      details: { command },
      onStopped: () => runDir.remove(),
    });
    return withControls(control, { name, logFile });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}
