/**
 * @module
 * The lifecycle every starter shares: spawn, wait until the real service answers, and then
 * kill, restart or stop it on request. A failed start leaves nothing running and reports the
 * process log.
 */
import { MeshError, MeshErrorCode, StartError } from './errors.ts';
import type { MeshLogger } from './logger.ts';
import { type LoggedProcess, readLogTail } from './process.ts';
import { waitFor } from './wait.ts';

export interface ServiceSpec {
  /** Short name for logs and errors, e.g. `postgres`. */
  name: string;
  /** Starts the process; called again, with the same arguments, by `restart()`. */
  spawn: () => Promise<LoggedProcess>;
  /**
   * Resolves truthy once the service answers (a query, a PING, an HTTP endpoint), and it is
   * `child` that answers: on a busy host another server may hold the port we picked, and its
   * answer must not pass for ours.
   */
  ready: (child: LoggedProcess) => Promise<unknown>;
  /** How a graceful stop asks the process to exit. */
  stopSignal: NodeJS.Signals;
  startTimeout: number;
  log: MeshLogger;
  /** Logged with each start, e.g. `{ port }`. */
  details: Record<string, unknown>;
  /** Runs once after the final stop, e.g. to remove a temp dir. */
  onStopped?: () => Promise<void>;
}

/** The process controls every starter's handle carries. */
export interface ServiceControl {
  /** The current process id; `undefined` before the first start and after a failed one. */
  readonly pid: number | undefined;
  /** Whether the current process is still alive. */
  readonly running: boolean;
  /**
   * Sends `signal` to the process and everything it started (SIGKILL by default: a crash).
   * With SIGKILL it resolves once they are all gone; other signals (SIGSTOP and SIGCONT for a
   * simulated partition, SIGTERM) resolve when sent.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process if it still runs and starts it again on the same ports and data. */
  restart(): Promise<void>;
  /** Stops for good and removes what the starter created. Safe to call twice. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

/** Whether a start failed because the port was taken (every one of our servers logs this). */
function portClash(err: unknown): boolean {
  return err instanceof StartError && /address already in use/i.test(err.message);
}

/**
 * Runs `attempt` (pick ports, start) and, when it fails on a port another process took in the
 * meantime, runs it again with fresh ports. Ports the caller chose (`fixedPorts`) are not
 * retried: the clash is theirs to see.
 *
 * @example
 * ```ts
 * const handle = await retryOnPortClash(port !== undefined, async () => {
 *   const listenPort = port ?? (await freePort());
 *   return startService({ ...spec(listenPort) });
 * });
 * ```
 */
export async function retryOnPortClash<T>(fixedPorts: boolean, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (fixedPorts || tries >= PORT_ATTEMPTS || !portClash(err)) throw err;
    }
  }
}

/**
 * Starts the process described by `spec` and resolves when it is ready.
 *
 * @example
 * ```ts
 * const control = await startService({ name: 'redis', spawn, ready: () => ping(port),
 *   stopSignal: 'SIGTERM', startTimeout: 10_000, log, details: { port } });
 * await control.kill();
 * await control.restart();
 * ```
 */
export async function startService(spec: ServiceSpec): Promise<ServiceControl> {
  const { name, log } = spec;
  let current: LoggedProcess | undefined;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<void> {
    const began = performance.now();
    const child = await spec.spawn();
    current = child;
    try {
      await waitFor(() => spec.ready(child), {
        what: `${name} to become ready`,
        timeout: spec.startTimeout,
        signal: child.exitSignal,
      });
    } catch (err) {
      await child.stop({ signal: 'SIGKILL' });
      current = undefined;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StartError(name, reason, child.logFile, await readLogTail(child.logFile), { cause: err });
    }
    const ms = Math.round(performance.now() - began);
    log.info({ service: name, pid: child.pid, ms, ...spec.details }, `${name} ready`);
  }

  async function halt(): Promise<void> {
    if (current?.running) await current.stop({ signal: spec.stopSignal, timeout: STOP_TIMEOUT_MS });
  }

  await start();
  return {
    get pid() {
      return current?.pid;
    },
    get running() {
      return current?.running ?? false;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!current?.running) return;
      log.info({ service: name, pid: current.pid, signal }, `${name} signalled`);
      current.signal(signal);
      if (signal === 'SIGKILL') await current.exited;
    },
    async restart() {
      if (stopping) throw new MeshError(MeshErrorCode.stopped, `${name} was stopped; start a new one`);
      await halt();
      await start();
    },
    stop() {
      stopping ??= (async () => {
        await halt();
        log.debug({ service: name }, `${name} stopped`);
        await spec.onStopped?.();
      })();
      return stopping;
    },
  };
}

/**
 * Builds a starter's handle: its own `fields` plus the live `pid`/`running` and the
 * `kill`/`restart`/`stop` of `control`.
 *
 * @example
 * ```ts
 * return withControls(control, { url, port, logFile });
 * ```
 */
export function withControls<T extends object>(control: ServiceControl, fields: T): T & ServiceControl {
  const handle = { ...fields, kill: control.kill, restart: control.restart, stop: control.stop };
  return Object.defineProperties(handle, {
    pid: { enumerable: true, get: () => control.pid },
    running: { enumerable: true, get: () => control.running },
  }) as T & ServiceControl;
}
