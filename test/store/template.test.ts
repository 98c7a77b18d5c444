/**
 * @module
 * The PGlite template: a new data directory unpacked from `scripts/pglite-template.ts`'s tarball
 * is a working store (migrations apply, rows persist across a reopen), and an existing directory
 * is never overwritten by the template.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStore, createTank, getTank, listTanks } from '../../src/store/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('PGlite template', () => {
  it('should make a fresh store from the template that migrates, persists and is not replaced on reopen', async ({
    onTestFinished,
  }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pglite-template-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const template = path.join(dir, 'template.tgz');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/pglite-template.ts'), template]);

    const dataDir = path.join(dir, 'data');
    const first = createStore({ dataDir, pgliteTemplate: template });
    await first.migrate();
    const tank = await createTank(first.db, { name: 'kept', owner: 'alice', seed: 1 });
    await first.close();

    const again = createStore({ dataDir, pgliteTemplate: template });
    await again.migrate();
    expect((await getTank(again.db, tank.tankId))?.name).toBe('kept');
    expect((await listTanks(again.db)).items).toHaveLength(1);
    await again.close();
  });
});
