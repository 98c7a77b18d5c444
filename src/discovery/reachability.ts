/**
 * @module
 * Tracks whether the registry answers, and logs only the transitions: an outage of Consul
 * during which every heartbeat and watch round fails is two log lines, not thousands.
 */
import type { Logger } from '../telemetry/index.ts';

export interface Reachability {
  /** A call succeeded. */
  up(): void;
  /** A call failed because the registry did not answer. */
  down(err: unknown): void;
}

/**
 * @example
 * ```ts
 * const reach = createReachability({ logger, target: 'consul at 127.0.0.1:8500' });
 * try { await call(); reach.up(); } catch (err) { reach.down(err); throw err; }
 * ```
 */
export function createReachability({ logger, target }: { logger?: Logger; target: string }): Reachability {
  let state: 'unknown' | 'up' | 'down' = 'unknown';
  let downSince = 0;
  return {
    up() {
      if (state === 'down')
        logger?.info({ target, down_ms: Date.now() - downSince }, 'discovery reachable again');
      state = 'up';
    },
    down(err) {
      if (state === 'down') return;
      state = 'down';
      downSince = Date.now();
      logger?.warn({ target, err }, 'discovery unreachable; serving the last known view until it answers');
    },
  };
}
