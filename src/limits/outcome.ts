/**
 * @module
 * rate-limiter-flexible resolves a counted point with a `RateLimiterRes` and rejects a refused
 * one with a `RateLimiterRes` too (a store failure rejects with an `Error`); this turns both
 * into one `CounterState`.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { CounterOptions, CounterState } from './types.ts';

export async function fromLibrary(
  consumed: Promise<RateLimiterRes>,
  { name, limit, windowSeconds }: CounterOptions,
): Promise<CounterState> {
  let res: RateLimiterRes;
  let allowed = true;
  try {
    res = await consumed;
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    res = err;
    allowed = false;
  }
  return {
    allowed,
    policy: name,
    limit,
    windowSeconds,
    remaining: allowed ? Math.max(0, res.remainingPoints) : 0,
    resetMs: Math.max(0, res.msBeforeNext),
  };
}
