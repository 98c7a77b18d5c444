/**
 * @module
 * Finding and killing a child's whole tree. A process group is not enough: PostgreSQL's
 * backends call setsid() and leave the postmaster's group, and after a SIGKILL they are
 * reparented to init, so the tree has to be read (from /proc) before the kill.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

const POLL_MS = 10;

function readStat(pid: number | string): ProcEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or exited while we looked
  }
  // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses, so split after it.
  const [state = '', ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(pid), ppid: Number(ppid), pgrp: Number(pgrp), state };
}

function procTable(): ProcEntry[] {
  if (!existsSync('/proc/self/stat')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(readStat)
    .filter((entry): entry is ProcEntry => entry !== undefined);
}

/**
 * `pid`, its descendants and the members of its process group, living ones only: everything
 * to kill so that nothing it started survives it.
 *
 * @example
 * ```ts
 * const tree = processTree(pg.pid!); // postmaster, its backends and workers
 * await pg.stop();
 * livingProcesses(tree); // []
 * ```
 */
export function processTree(pid: number): number[] {
  const table = procTable().filter((entry) => entry.state !== 'Z');
  const found = new Set<number>(
    table.filter((entry) => entry.pid === pid || entry.pgrp === pid).map((e) => e.pid),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of table) {
      if (!found.has(entry.pid) && found.has(entry.ppid)) {
        found.add(entry.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/**
 * The pids of `pids` still alive. Zombies do not count: they hold no port or file, and one
 * whose parent died waits for init to reap it, which can take seconds.
 *
 * @example
 * ```ts
 * expect(livingProcesses(tree)).toEqual([]);
 * ```
 */
export function livingProcesses(pids: readonly number[]): number[] {
  const hasProc = existsSync('/proc/self/stat');
  return pids.filter((pid) => {
    if (hasProc) {
      const entry = readStat(pid);
      return entry !== undefined && entry.state !== 'Z';
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/** Sends `signal` to each pid (and to the group led by `group`), ignoring those already gone. */
export function signalProcesses(pids: readonly number[], signal: NodeJS.Signals, group?: number): void {
  const targets = group === undefined ? pids : [-group, ...pids];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch {
      // ESRCH: already gone, which is what we wanted.
    }
  }
}

/** Resolves once none of `pids` is alive, or after `timeout` ms (a pid may have been reused). */
export async function waitGone(pids: readonly number[], timeout: number): Promise<void> {
  for (let waited = 0; livingProcesses(pids).length > 0 && waited < timeout; waited += POLL_MS) {
    await delay(POLL_MS);
  }
}

/** {@link waitGone} for exit handlers, where nothing asynchronous runs any more. */
export function waitGoneSync(pids: readonly number[], timeout: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; livingProcesses(pids).length > 0 && waited < timeout; waited += POLL_MS) {
    Atomics.wait(cell, 0, 0, POLL_MS);
  }
}
