/**
 * @module
 * A clock that moves only when a test says so, for the in-process registry's TTL timers.
 */
import type { Clock } from '../../src/discovery/index.ts';

export interface ManualClock extends Clock {
  /** Moves time forward, running every timer that falls due, in order, each at its own time. */
  advance(ms: number): void;
}

/**
 * @example
 * ```ts
 * const clock = createManualClock();
 * const registry = createLocalRegistry({ clock });
 * clock.advance(30_000); // the TTL lapses now, not in 30 s
 * ```
 */
export function createManualClock(start = Date.parse('2026-11-25T06:00:00.000Z')): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    schedule(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
  };
}
