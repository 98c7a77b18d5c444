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
 */

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
  const armed = new Set(
    (env.TANKWORLD_CRASH_AT ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );
  if (armed.size === 0) return noCrash;
  let pass = Number(env.TANKWORLD_CRASH_AFTER ?? 0) || 0;
  return function crashPoint(point) {
    if (!armed.has(point)) return;
    if (pass-- > 0) return;
    // Like a power cut: no handlers, no flushing, nothing written after this point.
    kill(point);
  };
}
