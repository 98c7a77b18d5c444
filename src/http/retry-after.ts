/**
 * @module
 * Which problem codes are an outage that passes by itself (the database or Redis away), and how
 * long a client should wait before trying again: the answers with these codes carry
 * `Retry-After` (`problemHeaders` in `problem.ts` adds it), so a client waits and retries instead
 * of giving up or hammering. The seconds are about a restart of the service.
 */
import type { ProblemCode } from './problem-codes.ts';

export const RETRY_AFTER_BY_CODE: Partial<Record<ProblemCode, number>> = {
  store_unavailable: 5,
  realtime_unavailable: 5,
  /** Frozen for a live move: a few tens of milliseconds, then it answers at its new server. */
  tank_moving: 1,
};

/**
 * The `Retry-After` seconds of a code (any value off an error), or undefined when it has none.
 *
 * @example
 * ```ts
 * retryAfterOf('store_unavailable'); // 5
 * ```
 */
export function retryAfterOf(code: unknown): number | undefined {
  return typeof code === 'string' && Object.hasOwn(RETRY_AFTER_BY_CODE, code)
    ? RETRY_AFTER_BY_CODE[code as ProblemCode]
    : undefined;
}
