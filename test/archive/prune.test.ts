/**
 * @module
 * Which backups `--keep` leaves, on a real folder: the newest N complete ones (with their
 * manifest), a cut-short one newer than those (a backup still being written, or the last one
 * that died: restore ignores it and the next prune judges it), and nothing older.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBackups, MANIFEST, pruneBackups } from '../../src/commands/backup.ts';
import { openBackupStore } from '../../src/commands/backup-store.ts';
import { useCleanup } from '../support/index.ts';

const cleanup = useCleanup();

describe('pruning backups', () => {
  it('should keep the newest complete backups and a newer cut-short one, and drop the rest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tankworld-prune-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const store = openBackupStore(dir, { env: {} });
    const put = (key: string) => store.put(key, Buffer.from('x'));
    for (const name of ['2026-01-01', '2026-01-02', '2026-01-04', '2026-01-05']) {
      await put(`${name}/a.tankworld.gz`);
      await put(`${name}/${MANIFEST}`);
    }
    await put('2026-01-03/a.tankworld.gz'); // cut short, older than what is kept
    await put('2026-01-06/a.tankworld.gz'); // cut short, newest

    const pruned = await pruneBackups(store, 2);

    expect(pruned.sort()).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect((await readdir(dir)).sort()).toEqual(['2026-01-04', '2026-01-05', '2026-01-06']);
    expect(await listBackups(store)).toEqual([
      { name: '2026-01-04', complete: true },
      { name: '2026-01-05', complete: true },
      { name: '2026-01-06', complete: false },
    ]);
  });
});
