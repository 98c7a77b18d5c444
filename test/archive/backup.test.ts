/**
 * @module
 * `tankworld backup` and `tankworld restore` through real processes: a gateway and two tank
 * servers on Consul, PostgreSQL and Redis, and a SeaweedFS (S3-compatible, built from its Go
 * module by scripts/install-seaweedfs.sh) of the file's own. Backups to a folder and to a bucket
 * keep the newest N; after the servers are killed and the database's tanks wiped, a restore
 * from the bucket brings every tank back on its id (fish, frame, owner, grants), a second one
 * skips them all, and `tankworld audit` finds every fish uid in exactly one place.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/commands/backup.ts';
import { openBackupStore } from '../../src/commands/backup-store.ts';
import { PROJECT_ROOT } from '../../src/mesh/index.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import { type SeaweedfsHandle, seaweedfsBinary, startSeaweedfs } from '../support/seaweedfs.ts';
import { type Network, quietTank, startNetwork } from './network.ts';

const cleanup = useCleanup();
const weed = seaweedfsBinary();
const skipWhy = weed ? '' : ' [skipped: SeaweedFS is not built here; scripts/install-seaweedfs.sh needs Go]';
const BUCKET = 'tankworld-backups';

let net: Network;
let s3: SeaweedfsHandle;
let operator: Record<string, string>;
const owners = new Map<string, string>();
const before = new Map<string, Awaited<ReturnType<Network['fish']>>>();

let folder: string;
/** Where the restore reads: the bucket, or the folder when SeaweedFS cannot be built here. */
const source = () => (weed ? `s3://${BUCKET}/network` : folder);

beforeAll(async () => {
  [net, s3] = await Promise.all([
    startNetwork({ cleanup, servers: 2 }),
    weed ? startSeaweedfs({ bin: weed, cleanup }) : (undefined as unknown as SeaweedfsHandle),
  ]);
  operator = { TANKWORLD_TOKEN: await net.token('ops', true) };
  if (weed) {
    await s3.createBucket(BUCKET);
    Object.assign(operator, {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_ENDPOINT_URL: s3.endpoint,
    });
  }
  for (const [owner, name] of [
    ['alice', 'Kelp'],
    ['alice', 'Lagoon'],
    ['bob', 'Shoal'],
  ] as const) {
    const tankId = await quietTank(net, owner, name);
    owners.set(tankId, owner);
  }
  const first = [...owners.keys()][0]!;
  await net.call('alice', 'POST', `/api/tanks/${first}/permissions`, 200, {
    user_id: 'carol',
    permission: 'write',
  });
  for (const [tankId, owner] of owners) before.set(tankId, await net.fish(owner, tankId));
}, 180_000);

async function backup(target: string): Promise<void> {
  const run = await net.cli(['backup', target, '--keep', '2'], operator);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain('3/3 tanks');
}

describe('tankworld backup and restore', () => {
  it('should back every tank up to a folder, keeping the newest 2 backups', async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'tankworld-backups-'));
    cleanup.add(() => rm(folder, { recursive: true, force: true }));
    for (let i = 0; i < 3; i++) await backup(folder);
    const kept = (await readdir(folder)).sort();
    expect(kept).toHaveLength(2);
    for (const name of kept) {
      const files = (await readdir(path.join(folder, name))).sort();
      expect(files).toEqual(
        [...[...owners.keys()].map((id) => `${id}.tankworld.gz`), 'manifest.json'].sort(),
      );
    }
  }, 120_000);

  it('should back up again at each --every interval until stopped, pruning to --keep each time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tankworld-scheduled-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'src/cli.ts'), 'backup', dir, '--every', '1s', '--keep', '1'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, GATEWAY_URL: net.gatewayUrl, ...operator },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = once(child, 'exit');
    let runs = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      runs += String(chunk)
        .split('\n')
        .filter((line) => line.startsWith('{')).length;
    });
    try {
      await waitFor(() => runs >= 3, { what: 'three scheduled backups', timeout: 90_000, interval: 100 });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).toBe(0);
    const store = openBackupStore(dir, { env: {} });
    expect((await listBackups(store)).filter((b) => b.complete)).toHaveLength(1);
  }, 120_000);

  it.skipIf(!weed)(
    `should back every tank up to an S3 bucket on SeaweedFS, keeping the newest 2 backups${skipWhy}`,
    async () => {
      for (let i = 0; i < 3; i++) await backup(`s3://${BUCKET}/network`);
      const keys = await s3.listKeys(BUCKET, 'network/');
      const backups = new Set(keys.map((k) => k.split('/')[1]));
      expect(backups.size).toBe(2);
      expect(keys).toHaveLength(2 * (owners.size + 1));
    },
    120_000,
  );

  it(`should restore the network from the ${weed ? 'bucket' : 'folder'} after the database’s tanks are wiped, and audit clean`, async () => {
    await Promise.all(net.servers.map((s) => s.kill()));
    await net.sql`delete from tanks`;
    await net.sql`delete from transfer_reservations`;
    const restartedAt = Date.now();
    await Promise.all(net.servers.map((s) => s.restart()));
    // Placement needs the gateway to see both servers again: a load reported since the restart.
    await waitFor(
      async () => {
        const { servers } = await net.call<{
          servers: Array<{ status: string; load: { updated_at: string | null } | null }>;
        }>('ops', 'GET', '/api/servers', 200);
        return (
          servers.filter((s) => s.status === 'online' && Date.parse(s.load?.updated_at ?? '') > restartedAt)
            .length === 2
        );
      },
      { what: 'both servers reporting again', timeout: 30_000, interval: 250 },
    );
    await net.call('alice', 'GET', `/api/tanks/${[...owners.keys()][0]}`, 404);

    const restored = await net.cli(['restore', source()], operator);
    expect(restored.code, restored.stderr).toBe(0);
    const report = JSON.parse(restored.stdout) as {
      restored: Array<{ tank_id: string }>;
      skipped: unknown[];
      failed: unknown[];
    };
    expect(report.failed).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.restored.map((r) => r.tank_id).sort()).toEqual([...owners.keys()].sort());

    for (const [tankId, owner] of owners) expect(await net.fish(owner, tankId)).toEqual(before.get(tankId));
    // The grant came back with its tank; the owner is the archive's, not the operator's.
    await net.call('carol', 'POST', `/api/tanks/${[...owners.keys()][0]}/resume`, 200);
    await net.call('ops', 'GET', `/api/tanks/${[...owners.keys()][0]}`, 404);

    const again = await net.cli(['restore', source()], operator);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as { restored: unknown[]; skipped: unknown[] };
    expect([second.restored.length, second.skipped.length]).toEqual([0, owners.size]);

    const audit = await net.cli(['audit'], { DATABASE_URL: net.dbUrl });
    const result = JSON.parse(audit.stdout) as { ok: boolean; duplicated: unknown[] };
    expect([audit.code, result.ok, result.duplicated]).toEqual([0, true, []]);
  }, 180_000);
});
