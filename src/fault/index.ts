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
 */
import { readFileSync } from 'node:fs';

/** Called at a named point; kills the process there when the point is armed. */
export type CrashPoint = (point: string) => void;

/** A crash point that never fires. */
export const noCrash: CrashPoint = () => {};

/**
 * @example
 * ```ts
 * const crash = crashPointsFromEnv({ env: process.env });
 * crash('after_prepare'); // with TANKWORLD_CRASH_AT=after_prepare: SIGKILL here
 * ```
 */
export function crashPointsFromEnv({
  env,
  kill = () => process.kill(process.pid, 'SIGKILL'),
}: {
  env: NodeJS.ProcessEnv;
  /** What firing does; a test of the hook itself passes a recorder. */
  kill?: (point: string) => void;
}): CrashPoint {
  const parse = (text: string) =>
    new Set(
      text
        .split(/[,\n]/)
        .map((p) => p.trim())
        .filter(Boolean),
    );
  const fixed = parse(env.TANKWORLD_CRASH_AT ?? '');
  const file = env.TANKWORLD_CRASH_FILE;
  if (fixed.size === 0 && !file) return noCrash;
  const fromFile = (): Set<string> => {
    try {
      return parse(readFileSync(file as string, 'utf8'));
    } catch {
      return new Set();
    }
  };
  let pass = Number(env.TANKWORLD_CRASH_AFTER ?? 0) || 0;
  return function crashPoint(point) {
    if (!fixed.has(point) && !(file && fromFile().has(point))) return;
    if (pass-- > 0) return;
    // Like a power cut: no handlers, no flushing, nothing written after this point.
    kill(point);
  };
}
