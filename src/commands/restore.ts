/**
 * @module
 * `tankworld restore <folder|s3://bucket/prefix> [--at <backup>]`: brings a network back from a
 * backup that `tankworld backup` wrote: the newest complete one (or `--at`, or the folder of
 * one backup itself). Each tank is imported onto its own id when that is free (`onto=same`),
 * through the gateway with an operator's token, so each keeps its owner, grants and fish uids;
 * a tank whose id is taken is skipped, not duplicated. Prints a report of restored, skipped and
 * failed tanks; exits 1 when any failed.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { createArchiveClient, GatewayRefusal, gatewayAccess, progressLine } from './archive-client.ts';
import { type BackupManifest, listBackups, MANIFEST } from './backup.ts';
import { type BackupStore, openBackupStore } from './backup-store.ts';

export interface RestoreReport {
  from: string;
  restored: Array<{ tank_id: string; server_id: string }>;
  skipped: Array<{ tank_id: string; reason: string }>;
  failed: Array<{ tank_id: string; error: string }>;
}

/** The manifest's folder: `--at`, the store's own root when it is one backup, else the newest complete. */
async function chooseBackup(store: BackupStore, at: string | undefined): Promise<string> {
  if (at !== undefined) return `${at}/`;
  if ((await store.list(MANIFEST)).includes(MANIFEST)) return '';
  const complete = (await listBackups(store)).filter((b) => b.complete);
  const newest = complete.at(-1);
  if (!newest) throw new ConfigError(`no complete backup in ${store.where}`);
  return `${newest.name}/`;
}

export async function restoreBackup(
  store: BackupStore,
  client: ReturnType<typeof createArchiveClient>,
  at?: string,
): Promise<RestoreReport> {
  const folder = await chooseBackup(store, at);
  const manifest = JSON.parse((await store.get(`${folder}${MANIFEST}`)).toString('utf8')) as BackupManifest;
  const report: RestoreReport = { from: `${store.where}/${folder}`, restored: [], skipped: [], failed: [] };
  for (const [i, entry] of manifest.tanks.entries()) {
    const file = entry.key.split('/').at(-1) as string;
    try {
      const answer = await client.upload(await store.get(`${folder}${file}`), 'same');
      report.restored.push({ tank_id: answer.tank.tank_id, server_id: answer.tank.server_id });
    } catch (err) {
      if (err instanceof GatewayRefusal && err.code === 'tank_exists')
        report.skipped.push({ tank_id: entry.tank_id, reason: 'its id is taken' });
      else report.failed.push({ tank_id: entry.tank_id, error: (err as Error).message });
    }
    progressLine(`restore: ${i + 1}/${manifest.tanks.length} tanks`);
  }
  return report;
}

export async function runRestore(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      gateway: { type: 'string' },
      token: { type: 'string' },
      at: { type: 'string' },
      's3-endpoint': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [source] = positionals;
  if (!source || positionals.length > 1)
    throw new ConfigError('usage: tankworld restore <folder|s3://bucket/prefix> [--at <backup>]');
  const store = openBackupStore(source, { env, s3Endpoint: values['s3-endpoint'] });
  const client = createArchiveClient(gatewayAccess(values, env));
  const report = await restoreBackup(store, client, values.at);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.failed.length > 0) process.exitCode = 1;
}
