/**
 * @module
 * The licence check (`scripts/check-licenses.sh` runs it in `.ci/run`): every npm package
 * installed under a folder (runtime and dev, read by license-checker-rseidelsohn), every Go
 * module linked into a binary the project builds (go-licenses reports, CSV), and wheels (their
 * METADATA), judged by `policy.ts` with the reviewed `exceptions.json`. Prints one line per
 * failing part, naming it and its licence, and exits 1 when there is any.
 *
 *   node scripts/licenses/check.ts --npm . --go consul=report.csv --wheel envoy/METADATA
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { init } from 'license-checker-rseidelsohn';
import { type Exception, failures, type Part } from './policy.ts';

/** The npm packages under `dir` (its own root package left out), one part each. */
export function npmParts(dir: string): Promise<Part[]> {
  const root = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string };
  return new Promise((resolve, reject) => {
    init({ start: dir }, (err, packages) => {
      if (err) return reject(err);
      const parts: Part[] = [];
      for (const [id, info] of Object.entries(packages)) {
        const at = id.lastIndexOf('@');
        const name = at > 0 ? id.slice(0, at) : id;
        if (name === root.name) continue;
        const licenses = info.licenses ?? 'UNKNOWN';
        const license = Array.isArray(licenses) ? `(${licenses.join(' AND ')})` : licenses;
        parts.push({ ecosystem: 'npm', name, version: id.slice(at + 1), license });
      }
      resolve(parts);
    });
  });
}

/** The rows of a `go-licenses report` (package, licence URL, licence) of one binary. */
export function goParts(binary: string, csv: string): Part[] {
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', , license = 'Unknown'] = line.split(',');
      return { ecosystem: 'go' as const, name, license: license.trim(), from: binary };
    });
}

/** A wheel's licence from its METADATA: `License-Expression`, else `License`, else the classifier. */
export function wheelPart(metadata: string): Part {
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(metadata)?.[1]?.trim();
  const classifier = /^Classifier: License :: OSI Approved :: (.+)$/m.exec(metadata)?.[1]?.trim();
  const license =
    field('License-Expression') ?? field('License') ?? classifier?.replace(/ License$/, '') ?? 'UNKNOWN';
  return { ecosystem: 'pypi', name: field('Name') ?? 'unknown', version: field('Version'), license };
}

export function readExceptions(file: string): Exception[] {
  const list = JSON.parse(readFileSync(file, 'utf8')) as Exception[];
  for (const e of list)
    if (!e.reason || e.reason.length < 20) throw new Error(`exception ${e.name}: give a reason`);
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      npm: { type: 'string', multiple: true, default: [] },
      go: { type: 'string', multiple: true, default: [] },
      wheel: { type: 'string', multiple: true, default: [] },
      exceptions: { type: 'string', default: path.join(import.meta.dirname, 'exceptions.json') },
    },
  });
  const parts: Part[] = [];
  const counts: string[] = [];
  for (const dir of values.npm) {
    const found = await npmParts(dir);
    counts.push(`${found.length} npm packages (${dir})`);
    parts.push(...found);
  }
  for (const spec of values.go) {
    const [binary = spec, file = spec] = spec.split('=');
    const found = goParts(binary, readFileSync(file, 'utf8'));
    counts.push(`${found.length} Go packages linked into ${binary}`);
    parts.push(...found);
  }
  for (const file of values.wheel) {
    parts.push(wheelPart(readFileSync(file, 'utf8')));
    counts.push(`wheel ${path.basename(path.dirname(file))}`);
  }
  const failed = failures(parts, readExceptions(values.exceptions));
  for (const f of failed)
    process.stderr.write(
      `[licences] ${f.ecosystem} ${f.name}${f.version ? `@${f.version}` : ''}${f.from ? ` (in ${f.from})` : ''}: ${f.license}: ${f.reason}\n`,
    );
  process.stderr.write(
    `[licences] ${failed.length === 0 ? 'ok' : `${failed.length} refused`}: ${counts.join(', ')}\n`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

if (import.meta.main) await main();
