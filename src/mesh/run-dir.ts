/**
 * @module
 * A starter's private temp folder (data, sockets, logs), removed when the service stops or,
 * failing that, when the process exits.
 */
import { chownSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-hooks.ts';

const PREFIX = 'tw-';
/** Holds the pid of the process that made the dir, so a later sweep knows whether it is stale. */
const OWNER_FILE = '.tw-owner';

export interface RunDir {
  readonly path: string;
  /** Removes the folder and everything in it. Safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Creates `<tmpdir>/tw-<name>-XXXXXX`, owned by `owner` when given (PostgreSQL's data must
 * belong to the user that runs it).
 *
 * @example
 * ```ts
 * const dir = await createRunDir({ name: 'redis' });
 * await dir.remove();
 * ```
 */
export async function createRunDir({
  name,
  owner,
}: {
  name: string;
  owner?: { uid: number; gid: number };
}): Promise<RunDir> {
  const path = await mkdtemp(join(tmpdir(), `${PREFIX}${name}-`));
  writeFileSync(join(path, OWNER_FILE), String(process.pid));
  if (owner) chownSync(path, owner.uid, owner.gid);
  const forget = onProcessExit(() => rmSync(path, { recursive: true, force: true, maxRetries: 3 }));
  let removing: Promise<void> | undefined;
  return {
    path,
    remove() {
      removing ??= rm(path, { recursive: true, force: true }).then(forget);
      return removing;
    },
  };
}

/** True while process `pid` exists (EPERM: it does, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes run dirs left by processes that died without cleaning up (SIGKILLed; their children
 * died with them). Dirs of live processes, and dirs without an owner file, are left alone, so
 * parallel runs on one host do not disturb each other. Returns the paths removed.
 *
 * @example
 * ```ts
 * await sweepStaleRunDirs(); // ['/tmp/tw-postgres-Ab12Cd']
 * ```
 */
export async function sweepStaleRunDirs(): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(PREFIX)) continue;
    const path = join(tmpdir(), entry);
    const owner = Number(await readFile(join(path, OWNER_FILE), 'utf8').catch(() => ''));
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    try {
      // The owner file goes last: if a removal fails half-way, the next sweep still knows the dir.
      for (const child of await readdir(path)) {
        if (child !== OWNER_FILE)
          await rm(join(path, child), { recursive: true, force: true, maxRetries: 3 });
      }
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
      removed.push(path);
    } catch {
      // Still in use or vanished meanwhile: a later sweep tries again.
    }
  }
  return removed;
}
