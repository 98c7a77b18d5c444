/**
 * @module
 * Prints a benchmark's figures and appends them, dated and with the machine they ran on, as a
 * section of BENCHMARKS.md at the repository root.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, type Row } from './markdown.ts';

const DEFAULT_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../BENCHMARKS.md');

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

export interface BenchmarkRecord {
  /** Section title, e.g. `'sim'`; the date and time are added. */
  name: string;
  rows: readonly Row[];
  /** Table columns in order (default: the keys of the first row). */
  columns?: readonly string[];
  /** Lines printed under the table as a bullet list (method, targets, comparisons). */
  notes?: readonly string[];
  /** Where to append (default: BENCHMARKS.md at the repository root). */
  file?: string;
}

/**
 * Prints the table to stdout and appends it as a new section to BENCHMARKS.md; returns the
 * section's markdown.
 *
 * @example
 * ```ts
 * recordBenchmark({
 *   name: 'sim',
 *   rows: [{ scenario: '1000 tanks × 50 fish', 'fish-updates/s': 2_100_000 }],
 *   notes: ['target ≥ 1.5 M fish-updates/s'],
 * });
 * ```
 */
export function recordBenchmark({
  name,
  rows,
  columns,
  notes = [],
  file = DEFAULT_FILE,
}: BenchmarkRecord): string {
  const m = machineInfo();
  const stamp = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const section = [
    `## ${name} — ${stamp} UTC`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}.`,
    '',
    markdownTable(rows, columns),
    ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
  console.log(`\n${section}`);
  if (!existsSync(file))
    writeFileSync(file, '# Benchmarks\n\nAppended by `npm run bench <name>`; newest last.\n');
  appendFileSync(file, `\n${section}`);
  return section;
}
