/**
 * @module
 * Makes the PGlite template: a freshly initialised data directory, gzipped, written atomically
 * to the path given. `scripts/run.sh` makes it once per PGlite version, so the embedded store of
 * a first `npm start` is unpacked in ~0.5 s instead of running initdb for ~1.5 s.
 *
 *   node scripts/pglite-template.ts ~/.cache/tankworld/pglite-0.5.16.tgz
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: node scripts/pglite-template.ts <file.tgz>\n');
  process.exit(2);
}
const scratch = mkdtempSync(path.join(tmpdir(), 'pglite-template-'));
try {
  const db = new PGlite(scratch);
  await db.waitReady;
  const dump = await db.dumpDataDir('gzip');
  await db.close();
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, target);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
