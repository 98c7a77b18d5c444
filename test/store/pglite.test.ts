import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, getServer, upsertServer } from '../../src/store/index.ts';
import { storeContract } from './store.case.ts';

// PGlite takes seconds and ~850 MB to start: one instance at a time in this file. The contract
// runs on a data directory on disk, so the second part can check that it survives a restart.
const dataDir = mkdtempSync(join(tmpdir(), 'tankworld-pglite-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PGlite store', () => {
  storeContract(async () => {
    const store = createStore({ dataDir });
    // Written before the contract closes the store, read back by the restart test below.
    await store.migrate();
    await upsertServer(store.db, {
      serverId: 'persisted',
      hostname: 'h',
      host: '127.0.0.1',
      port: 1,
      version: '2',
    });
    return store;
  });
});

describe('PGlite store on disk', () => {
  it('should keep its data across a restart and close twice safely', async () => {
    const store = createStore({ dataDir });
    expect(store.kind).toBe('pglite');
    await store.migrate();
    expect((await getServer(store.db, 'persisted'))?.host).toBe('127.0.0.1');
    await Promise.all([store.close(), store.close()]);
    await store.close();
  });
});
