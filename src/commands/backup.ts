/**
 * @module
 * `tankworld backup <folder|s3://bucket/prefix> [--every 1h] [--keep 7]`: every tank's archive,
 * fetched through the gateway with an operator's token, into one backup `<time>/` holding
 * `<tank-id>.tankworld.gz` files and a `manifest.json` written last (a backup without one was
 * cut short: restore ignores it). Then all but the newest `--keep` complete backups are deleted.
 * With `--every` it runs again at that interval until stopped (a failed run is reported and the
 * next one still comes). `tankworld restore` (restore.ts) reads it back.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
// The format alone (not the archive's index): a CLI start need not load the simulation.
import { ARCHIVE_SUFFIX } from '../archive/format.ts';
import { ConfigError } from '../config.ts';
import {
  type ArchiveClient,
  createArchiveClient,
  formatBytes,
  GatewayRefusal,
  gatewayAccess,
  progressLine,
} from './archive-client.ts';
import { type BackupStore, openBackupStore } from './backup-store.ts';

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'tankworld-backup';

/** What `manifest.json` says; restore reads `tanks`. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: 1;
  taken_at: string;
  tanks: Array<{ tank_id: string; key: string; bytes: number; sha256: string }>;
  /** Tanks listed but not archived (deleted meanwhile, or refused), with why. */
  missed: Array<{ tank_id: string; error: string }>;
}

/** `30s`, `15m`, `1h`, `1d` in milliseconds. */
export function parseInterval(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (!match || Number(match[1]) <= 0) throw new ConfigError(`--every takes 30s, 15m, 1h or 1d, not ${text}`);
  return Number(match[1]) * unit[match[2] as keyof typeof unit];
}

/** The backups in a store, oldest first: each one's folder and whether its manifest is there. */
export async function listBackups(store: BackupStore): Promise<Array<{ name: string; complete: boolean }>> {
  const byName = new Map<string, boolean>();
  for (const key of await store.list('')) {
    const [name, rest] = key.split('/', 2);
    if (!name || rest === undefined) continue;
    byName.set(name, (byName.get(name) ?? false) || rest === MANIFEST);
  }
  return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, complete]) => ({ name, complete }));
}

/** One backup now; answers its manifest. */
export async function backupOnce(
  client: ArchiveClient,
  store: BackupStore,
  at = new Date(),
): Promise<BackupManifest> {
  const name = at.toISOString().replace(/:/g, '-');
  const ids = await client.tankIds();
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: 1,
    taken_at: at.toISOString(),
    tanks: [],
    missed: [],
  };
  let total = 0;
  for (const [i, tankId] of ids.entries()) {
    try {
      const bytes = await client.download(tankId);
      const key = `${name}/${tankId}${ARCHIVE_SUFFIX}`;
      await store.put(key, bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      manifest.tanks.push({ tank_id: tankId, key, bytes: bytes.length, sha256 });
      total += bytes.length;
    } catch (err) {
      // A tank deleted since the listing is no failure of the backup; anything else is said.
      if (!(err instanceof GatewayRefusal)) throw err;
      manifest.missed.push({ tank_id: tankId, error: err.message });
    }
    progressLine(`backup ${name}: ${i + 1}/${ids.length} tanks, ${formatBytes(total)}`);
  }
  await store.put(`${name}/${MANIFEST}`, Buffer.from(JSON.stringify(manifest, null, 2)));
  return manifest;
}

/** Deletes all but the newest `keep` complete backups, and any cut-short one older than those. */
export async function pruneBackups(store: BackupStore, keep: number): Promise<string[]> {
  const backups = await listBackups(store);
  const complete = backups.filter((b) => b.complete);
  const kept = new Set(complete.slice(-keep).map((b) => b.name));
  const oldestKept = [...kept][0];
  const doomed = backups.filter(
    (b) => !kept.has(b.name) && (b.complete || (oldestKept !== undefined && b.name < oldestKept)),
  );
  for (const b of doomed) await store.remove(await store.list(`${b.name}/`));
  return doomed.map((b) => b.name);
}

export async function runBackup(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      gateway: { type: 'string' },
      token: { type: 'string' },
      every: { type: 'string' },
      keep: { type: 'string' },
      's3-endpoint': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [target] = positionals;
  if (!target || positionals.length > 1)
    throw new ConfigError('usage: tankworld backup <folder|s3://bucket/prefix> [--every 1h] [--keep 7]');
  const keep = values.keep === undefined ? 7 : Number(values.keep);
  if (!Number.isInteger(keep) || keep < 1) throw new ConfigError('--keep must be a whole number, at least 1');
  const everyMs = values.every === undefined ? undefined : parseInterval(values.every);
  const store = openBackupStore(target, { env, s3Endpoint: values['s3-endpoint'] });
  const client = createArchiveClient(gatewayAccess(values, env));
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  do {
    try {
      const manifest = await backupOnce(client, store);
      const pruned = await pruneBackups(store, keep);
      process.stdout.write(
        `${JSON.stringify({ where: store.where, taken_at: manifest.taken_at, tanks: manifest.tanks.length, missed: manifest.missed, pruned })}\n`,
      );
    } catch (err) {
      if (everyMs === undefined) throw err;
      process.stderr.write(`[tankworld] backup failed: ${(err as Error).message}; next in ${values.every}\n`);
    }
    if (everyMs !== undefined) await sleep(everyMs, undefined, { signal: stop.signal }).catch(() => {});
  } while (everyMs !== undefined && !stop.signal.aborted);
}
