/**
 * @module
 * Markdown tables for benchmark reports: columns are aligned so the file reads well as text too.
 */

export type Cell = string | number;
export type Row = Record<string, Cell>;

/**
 * Formats a number for a report: integers with thousands separators, others with `digits`
 * significant decimals.
 *
 * @example
 * ```ts
 * formatNumber(1534221.7); // '1,534,222'
 * formatNumber(0.01234, 2); // '0.012'
 * ```
 */
export function formatNumber(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(Math.max(1, digits))).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

function cellText(value: Cell | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'number' ? formatNumber(value, 3) : value.replaceAll('|', '\\|');
}

/**
 * A GitHub-flavoured markdown table of `rows`; `columns` picks and orders the keys (default: the
 * keys of the first row). Numeric columns are right-aligned.
 *
 * @example
 * ```ts
 * markdownTable([{ tanks: 1000, 'fish-updates/s': 2.1e6 }]);
 * ```
 */
export function markdownTable(
  rows: readonly Row[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
): string {
  const text = rows.map((row) => columns.map((c) => cellText(row[c])));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const width = columns.map((c, k) => Math.max(3, c.length, ...text.map((cells) => cells[k].length)));
  const pad = (s: string, k: number) => (numeric[k] ? s.padStart(width[k]) : s.padEnd(width[k]));
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${width.map((w, k) => (numeric[k] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(columns), rule, ...text.map(line)].join('\n');
}
