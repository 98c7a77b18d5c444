/**
 * @module
 * `tankworld export <tank-id> [file]` and `tankworld import <file> [--onto auto|same|new]`: a
 * tank's archive down from the gateway to a file (default `<tank-id>.tankworld.gz`), and a file
 * back up as a tank, with progress on stderr. Flags: `--gateway URL`, `--token T` (or
 * `GATEWAY_URL`, `TANKWORLD_TOKEN`).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// The format alone (not the archive's index): a CLI start need not load the simulation.
import { ARCHIVE_SUFFIX } from '../archive/format.ts';
import { ConfigError } from '../config.ts';
import { createArchiveClient, formatBytes, gatewayAccess, progressLine } from './archive-client.ts';

const ACCESS = { gateway: { type: 'string' }, token: { type: 'string' } } as const;

function reporter(verb: string): (done: number, total: number | undefined) => void {
  let shown = -1;
  return (done, total) => {
    const percent = total ? Math.floor((done / total) * 10) * 10 : -1;
    if (percent === shown && done !== total) return;
    shown = percent;
    progressLine(`${verb} ${formatBytes(done)}${total ? ` of ${formatBytes(total)} (${percent}%)` : ''}`);
  };
}

export async function runExport(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: ACCESS, allowPositionals: true });
  const [tankId, file = `${tankId}${ARCHIVE_SUFFIX}`] = positionals;
  if (!tankId || positionals.length > 2) throw new ConfigError('usage: tankworld export <tank-id> [file]');
  const client = createArchiveClient({ ...gatewayAccess(values, env), onProgress: reporter('downloaded') });
  const bytes = await client.download(tankId);
  // Written beside and renamed, so a cut download never leaves a file that looks whole.
  await writeFile(`${file}.part`, bytes);
  await rename(`${file}.part`, file);
  process.stdout.write(`${JSON.stringify({ tank_id: tankId, file, bytes: bytes.length })}\n`);
}

export async function runImport(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...ACCESS, onto: { type: 'string' } },
    allowPositionals: true,
  });
  const [file] = positionals;
  const onto = values.onto ?? 'auto';
  if (!file || positionals.length > 1 || !['auto', 'same', 'new'].includes(onto))
    throw new ConfigError('usage: tankworld import <file> [--onto auto|same|new]');
  const client = createArchiveClient({ ...gatewayAccess(values, env), onProgress: reporter('uploaded') });
  const answer = await client.upload(await readFile(file), onto as 'auto' | 'same' | 'new');
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
