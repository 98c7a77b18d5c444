/**
 * @module
 * The errors real-time state throws, each with a stable `code`.
 */
import { type ProblemCode, problemStatus } from '../http/index.ts';

/**
 * The backing store (Redis) cannot be reached, or the adapter is closed. Callers degrade
 * instead of failing: placement falls back to tank counts, a missed stat is left out.
 * `src/http/problem-codes.ts` maps the code to 503.
 *
 * @example
 * ```ts
 * try {
 *   await realtime.setLoad(serverId, load, { ttlMs: 30_000 });
 * } catch (err) {
 *   if (!(err instanceof RealtimeUnavailableError)) throw err;
 *   logger.warn({ err }, 'load not published');
 * }
 * ```
 */
export class RealtimeUnavailableError extends Error {
  override readonly name = 'RealtimeUnavailableError';
  readonly code = 'realtime_unavailable' satisfies ProblemCode;
  readonly status = problemStatus(this.code);
  constructor(message = 'real-time state is unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A value that does not fit its schema: on write it is the caller's bug (NaN, a missing
 * field); on read it came from another writer (an older deployment, a hand-edited key) and
 * the adapter leaves it out and reports it to `onError`.
 *
 * @example
 * ```ts
 * realtime.publish({ type: 'server_up', server_id: '', at: 'now' }); // rejects with this
 * ```
 */
export class InvalidRealtimeValueError extends Error {
  override readonly name = 'InvalidRealtimeValueError';
  readonly code = 'invalid_realtime_value' satisfies ProblemCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
