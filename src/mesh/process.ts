/**
 * @module
 * Child processes with their output in a log file, each leading its own process group. A kill
 * reaches every process they started (PostgreSQL's backends, the helper `consul connect envoy`
 * forks), and they are tracked so that nothing outlives the parent.
 */
import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { BinaryNotFoundError, MeshError, MeshErrorCode } from './errors.ts';
import { onProcessExit } from './exit-hooks.ts';
import { processTree, signalProcesses, waitGone, waitGoneSync } from './process-tree.ts';

export interface SpawnLoggedOptions {
  /** Short name used in errors, e.g. `postgres`. */
  name: string;
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here; a header line marks each start. */
  logFile: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  /** Said when `command` cannot be run, e.g. "run scripts/install-consul.sh". */
  missingHint?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running (or exited) child process started by {@link spawnLogged}. */
export interface LoggedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process, and every process it started that we know of, has exited. */
  readonly exited: Promise<ChildExit>;
  /** Aborted when the process exits; its reason says how. Pass it to `waitFor`. */
  readonly exitSignal: AbortSignal;
  readonly running: boolean;
  /** Sends `signal` to the process and every process it started. A no-op once it has exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Sends `signal` to the process, waits up to `timeout` ms for the exit, then SIGKILLs its
   * tree. When it exits, what is left of its tree is SIGKILLed too, so no child survives it.
   */
  stop(options?: { signal?: NodeJS.Signals; timeout?: number }): Promise<ChildExit>;
}

/** util-linux (essential on Debian): sets the parent-death signal, then execs the command. */
const SETPRIV = '/usr/bin/setpriv';
/** How long to wait for a killed tree to be gone before giving up (a pid may be reused). */
const SWEEP_TIMEOUT_MS = 2_000;

/** `command` itself when it has a slash, else its first match on PATH; undefined if not executable. */
function findExecutable(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function describeExit({ code, signal }: ChildExit): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Starts a process detached into its own group, stdout/stderr appended to `logFile`.
 * Resolves once the process is running; rejects with {@link BinaryNotFoundError} when the
 * program cannot be executed.
 *
 * @example
 * ```ts
 * const child = await spawnLogged({ name: 'redis', command: 'redis-server', args: ['--port', '6400'],
 *   logFile: '/tmp/redis.log' });
 * await child.stop();
 * ```
 */
export async function spawnLogged({
  name,
  command,
  args,
  logFile,
  env,
  cwd,
  user,
  missingHint = 'is it installed?',
}: SpawnLoggedOptions): Promise<LoggedProcess> {
  const executable = findExecutable(command);
  if (!executable) throw new BinaryNotFoundError(command, missingHint);
  appendFileSync(logFile, `=== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  // Under setpriv the child gets SIGKILL when we die, however we die: our exit hooks do not
  // run on SIGKILL, and vitest's watchdog SIGKILLs workers when the main process goes.
  const [file, argv] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', executable, ...args]]
    : [executable, [...args]];
  const fd = openSync(logFile, 'a');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, argv, {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      stdio: ['ignore', fd, fd],
      // Own process group: a Ctrl-C meant for us does not hit it behind our back (we stop it in
      // order), and kill(-pid) reaches the helpers it forks.
      detached: true,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' || err.code === 'EACCES'
          ? new BinaryNotFoundError(command, missingHint, { cause: err })
          : new MeshError(MeshErrorCode.startFailed, `${name}: cannot spawn ${command}`, { cause: err }),
      ),
    );
  });
  const pid = child.pid!;
  // Read before each kill: once the leader is dead, its children belong to init.
  const killTree = (signal: NodeJS.Signals): number[] => {
    const tree = processTree(pid);
    signalProcesses(tree, signal, pid);
    return tree;
  };
  const forget = onProcessExit(() => {
    // A kill is delivered asynchronously: wait, or the temp dir removed next could gain files
    // from a process that has not died yet.
    waitGoneSync(killTree('SIGKILL'), SWEEP_TIMEOUT_MS);
  });
  const doomed: number[] = [];
  const controller = new AbortController();
  let running = true;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', async (code, signal) => {
      running = false;
      // Whatever the leader started dies with it: an orphaned backend would hold the port.
      const rest = [...doomed, ...killTree('SIGKILL')];
      signalProcesses(rest, 'SIGKILL');
      await waitGone(rest, SWEEP_TIMEOUT_MS);
      forget();
      const exit = { code, signal };
      controller.abort(new MeshError(MeshErrorCode.startFailed, `${name} ${describeExit(exit)}`));
      resolve(exit);
    });
  });

  return {
    name,
    pid,
    logFile,
    exited,
    exitSignal: controller.signal,
    get running() {
      return running;
    },
    signal(signal) {
      if (!running) return;
      const tree = killTree(signal);
      if (signal === 'SIGKILL') doomed.push(...tree);
    },
    async stop({ signal = 'SIGTERM', timeout = 10_000 } = {}) {
      if (running) {
        // The graceful signal goes to the leader alone: it stops its own children in order.
        signalProcesses([pid], signal);
        // A tree paused with SIGSTOP (a simulated partition) cannot act on the signal until
        // it runs again; SIGCONT is harmless otherwise.
        killTree('SIGCONT');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeout);
        });
        await Promise.race([exited, late]);
        clearTimeout(timer);
        if (running) doomed.push(...killTree('SIGKILL'));
      }
      return exited;
    },
  };
}

/**
 * The last `maxBytes` of a log file, cut to whole lines; empty when the file is missing.
 *
 * @example
 * ```ts
 * throw new Error(`redis died:\n${await readLogTail(logFile)}`);
 * ```
 */
export async function readLogTail(file: string, maxBytes = 4096): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}
