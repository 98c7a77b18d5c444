/**
 * @module
 * The project's licence policy, one rule for every ecosystem: a part passes when its licence
 * (an SPDX expression: `A OR B` needs one allowed side, `A AND B` both) is open source and not
 * AGPL, or when `exceptions.json` names it with a reviewed reason. npm's `UNLICENSED` (no
 * licence granted) is checked first: spdx-correct would read it as `Unlicense`. Names the tools print that
 * are not SPDX ids ("Apache 2.0", "MIT*" for a guess from a licence file) are corrected first;
 * anything still unknown fails, because an unknown licence is not known to be open.
 */
import spdxCorrect from 'spdx-correct';
import spdxSatisfies from 'spdx-satisfies';

/**
 * Open-source licences (OSI-approved, or public-domain dedications) the project takes on.
 * GPL and LGPL are open source too but are not on it: nothing here needs them, and a new one
 * should be looked at (add it to `exceptions.json` with the reason).
 */
export const ALLOWED = [
  '0BSD',
  'AFL-2.0',
  'AFL-2.1',
  'AFL-3.0',
  'Apache-2.0',
  'Artistic-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC0-1.0',
  'ISC',
  'MIT',
  'MIT-0',
  'MPL-2.0',
  'Python-2.0',
  'Unlicense',
  'Zlib',
] as const;

/** Licences refused whatever else an expression says, with the reason printed. */
const REFUSED: Array<[RegExp, string]> = [
  [/AGPL/i, 'AGPL: this project does not take on AGPL'],
  [/BUSL|Business Source/i, 'BUSL: source-available, not open source'],
  [/SSPL|Server Side Public/i, 'SSPL: not open source'],
  [/Elastic/i, 'Elastic License: not open source'],
  [/Commons[ -]Clause/i, 'Commons Clause: not open source'],
  [/source[ -]available/i, 'source-available: not open source'],
];

/** One part of the build or install, as a checker reported it. */
export interface Part {
  ecosystem: 'npm' | 'go' | 'pypi';
  /** Package, module or wheel name (npm's without its version). */
  name: string;
  version?: string;
  /** The licence as the tool printed it. */
  license: string;
  /** Where it came in (a build module, the binary it is linked into). */
  from?: string;
}

/** A reviewed exception: this part passes with this licence, for this reason. */
export interface Exception {
  ecosystem: Part['ecosystem'];
  name: string;
  license: string;
  reason: string;
}

export type Verdict = { ok: true; via?: 'exception' } | { ok: false; reason: string };

/** One licence name as an SPDX id when it can be read as one (`MIT*` → `MIT`, `Apache 2.0`). */
function corrected(name: string): string | undefined {
  return spdxCorrect(name.trim().replace(/\*$/, '')) ?? undefined;
}

/** Rewrites every licence name in an expression to its SPDX id; undefined if one is unknown. */
function normalised(license: string): string | undefined {
  const parts = license.split(/(\s+(?:AND|OR|WITH)\s+|[()])/);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || /^\s*(AND|OR|WITH)\s*$/.test(part) || part === '(' || part === ')') {
      out.push(part);
      continue;
    }
    const id = corrected(part);
    if (id === undefined) return undefined;
    out.push(id);
  }
  return out.join('');
}

/**
 * @example
 * ```ts
 * judge({ ecosystem: 'npm', name: 'left-pad', license: 'MIT' }, []); // { ok: true }
 * judge({ ecosystem: 'go', name: 'x', license: 'BUSL-1.1' }, []); // { ok: false, reason: 'BUSL: …' }
 * ```
 */
export function judge(part: Part, exceptions: readonly Exception[]): Verdict {
  const excepted = exceptions.find(
    (e) => e.ecosystem === part.ecosystem && e.name === part.name && e.license === part.license,
  );
  if (excepted) return { ok: true, via: 'exception' };
  if (/^UNLICENSED$/i.test(part.license.trim())) return { ok: false, reason: 'UNLICENSED: no licence granted' };
  const expression = normalised(part.license);
  let satisfied = false;
  try {
    satisfied = expression !== undefined && spdxSatisfies(expression, [...ALLOWED]);
  } catch {
    return { ok: false, reason: 'licence expression not readable' };
  }
  // `MIT OR BUSL-1.1` may be taken as MIT; only an expression no allowed choice satisfies fails.
  if (satisfied) return { ok: true };
  for (const [pattern, reason] of REFUSED) if (pattern.test(part.license)) return { ok: false, reason };
  if (expression === undefined) return { ok: false, reason: 'licence unknown or not an SPDX licence' };
  return { ok: false, reason: 'not on the list of open-source licences this project takes on' };
}

/** Every part that fails, with its reason. */
export function failures(
  parts: readonly Part[],
  exceptions: readonly Exception[],
): Array<Part & { reason: string }> {
  const out: Array<Part & { reason: string }> = [];
  for (const part of parts) {
    const verdict = judge(part, exceptions);
    if (!verdict.ok) out.push({ ...part, reason: verdict.reason });
  }
  return out;
}
