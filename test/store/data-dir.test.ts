/**
 * @module
 * The embedded store's files are the tanks' whole state: PGlite's data folder is made 0700 (and
 * the data folder above it, when the store makes that too), an existing folder that others may
 * read is tightened when the store opens, and nothing in it is readable by group or others.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

/** Every file and folder under `dir` that group or others may read, write or enter. */
async function looseEntries(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  const loose: string[] = [];
  for (const entry of entries) if ((await modeOf(path.join(dir, entry))) & 0o077) loose.push(entry);
  return loose;
}

describe('the PGlite data folder', () => {
  it('should be made 0700, parents included, with nothing in it open to others', async ({
    onTestFinished,
  }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pglite-mode-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data', 'pglite');
    const store = createStore({ dataDir });
    await store.migrate();
    await store.close();
    expect(await modeOf(path.join(dir, 'data'))).toBe(0o700);
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await looseEntries(dataDir)).toEqual([]);
  });

  it('should tighten an existing world-readable folder and its files when it opens', async ({
    onTestFinished,
  }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pglite-mode-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'pglite');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    const first = createStore({ dataDir });
    await first.migrate();
    await first.close();
    // As an earlier version left them: the folders 0755 and the files 0644.
    await chmod(dataDir, 0o755);
    await chmod(path.join(dataDir, 'base'), 0o755);
    await chmod(path.join(dataDir, 'PG_VERSION'), 0o644);

    const again = createStore({ dataDir });
    onTestFinished(() => again.close());
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(path.join(dataDir, 'base'))).toBe(0o700);
    expect(await modeOf(path.join(dataDir, 'PG_VERSION'))).toBe(0o600);
    await again.migrate();
  });
});
