/**
 * @module
 * Folders only this process's user may enter. The embedded store's files and the embedded
 * default's secrets are the whole network's state and keys, so their folder is 0700 whatever the
 * umask, and one made world-readable by an older version is tightened when it is opened again.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Mode of a private folder: the owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of a private file: the owner reads and writes. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` (and any missing parent, like `mkdir -p`) with mode 0700, and sets 0700 on `dir`
 * itself when it already existed: `mkdir`'s mode only applies to folders it creates.
 *
 * @example
 * ```ts
 * makePrivateDir('./data/pglite');
 * const client = new PGlite('./data/pglite');
 * ```
 */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Sets 0700 on every folder and 0600 on every file under `dir` (symbolic links are left alone).
 * PGlite makes its files as the umask allows (0644 with the usual 022): inside a 0700 folder no
 * one else can reach them, and this keeps them private at rest as well.
 *
 * @example
 * ```ts
 * await client.close();
 * tightenTree('./data/pglite');
 * ```
 */
export function tightenTree(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, entry);
    const stats = lstatSync(file, { throwIfNoEntry: false });
    if (stats?.isDirectory()) {
      if ((stats.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(file, PRIVATE_DIR_MODE);
    } else if (stats?.isFile() && (stats.mode & 0o777) !== PRIVATE_FILE_MODE) {
      chmodSync(file, PRIVATE_FILE_MODE);
    }
  }
}
