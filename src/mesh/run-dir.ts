/**
 * @module
 * A starter's private temp folder (data, sockets, logs), removed when the service stops or,
 * failing that, when the process exits.
 */
import { chownSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-hooks.ts';

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
  const path = await mkdtemp(join(tmpdir(), `tw-${name}-`));
  if (owner) chownSync(path, owner.uid, owner.gid);
  const forget = onProcessExit(() => rmSync(path, { recursive: true, force: true }));
  let removing: Promise<void> | undefined;
  return {
    path,
    remove() {
      removing ??= rm(path, { recursive: true, force: true }).then(forget);
      return removing;
    },
  };
}
