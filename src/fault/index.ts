/**
 * @module
 * Fault-injection points for the crash tests: `TANKWORLD_CRASH_AT=<point>[,<point>…]` makes the
 * process SIGKILL itself when it reaches a named point, so a test can stop a participant or the
 * coordinator at an exact step of a transfer. Unset (always, outside tests) it does nothing.
 *
 * Points: the coordinator's `before_prepare`, `after_prepare`, `after_dest_commit`,
 * `before_source_drop`; a participant's `source_before_prepare`, `source_after_prepare`,
 * `dest_before_prepare`, `dest_after_prepare`, `dest_after_commit`, `source_before_drop`.
 * `TANKWORLD_CRASH_AFTER=<n>` lets the first n hits pass (crash on hit n + 1).
 * `TANKWORLD_CRASH_FILE=<path>` arms the points listed in that file (comma or newline
 * separated), read at each hit, so a test can arm a running process and restart it disarmed.
 * `loadCrashConfig` in `src/config.ts` reads the three; the commands pass them to
 * `createCrashPoints`.
 */
import { readFileSync } from 'node:fs';

/** Called at a named point; kills the process there when the point is armed. */
export type CrashPoint = (point: string) => void;

/** A crash point that never fires. */
export const noCrash: CrashPoint = () => {};

/** The armed points, as `loadCrashConfig` in `src/config.ts` reads them from the environment. */
export interface CrashPointsOptions {
  /** Points armed from the start, comma or newline separated. */
  at?: string;
  /** A file read at each hit, listing the points armed now. */
  file?: string;
  /** Hits of an armed point that pass before one fires. */
  after?: number;
  /** What firing does; a test of the hook itself passes a recorder. */
  kill?: (point: string) => void;
}

/**
 * @example
 * ```ts
 * const crash = createCrashPoints({ at: 'after_prepare' });
 * crash('after_prepare'); // SIGKILL here
 * ```
 */
export function createCrashPoints({
  at = '',
  file,
  after = 0,
  kill = () => process.kill(process.pid, 'SIGKILL'),
}: CrashPointsOptions = {}): CrashPoint {
  const parse = (text: string) =>
    new Set(
      text
        .split(/[,\n]/)
        .map((p) => p.trim())
        .filter(Boolean),
    );
  const fixed = parse(at);
  if (fixed.size === 0 && !file) return noCrash;
  const fromFile = (): Set<string> => {
    try {
      return parse(readFileSync(file as string, 'utf8'));
    } catch {
      return new Set();
    }
  };
  let pass = after;
  return function crashPoint(point) {
    if (!fixed.has(point) && !(file && fromFile().has(point))) return;
    if (pass-- > 0) return;
    // Like a power cut: no handlers, no flushing, nothing written after this point.
    kill(point);
  };
}
