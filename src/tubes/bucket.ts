/**
 * @module
 * The token bucket that bounds a tube's rate: `ratePerMinute` tokens a minute, at most a burst of
 * `burst` saved up; a fish goes through only with a token. The clock is injected (tests).
 */

export interface TokenBucket {
  /** Takes a token when one is there; false otherwise (the fish stays). */
  take(): boolean;
  /** Gives back a token taken for a move that did not happen. */
  refund(): void;
  /** Tokens there now (fractional). */
  readonly tokens: number;
}

export interface TokenBucketOptions {
  ratePerMinute: number;
  /** Most tokens saved up; default a tenth of the minute's rate, at least 1. */
  burst?: number;
  now?: () => number;
}

/**
 * @example
 * ```ts
 * const bucket = createTokenBucket({ ratePerMinute: 60 });
 * if (bucket.take()) move(fish);
 * ```
 */
export function createTokenBucket({
  ratePerMinute,
  burst = Math.max(1, ratePerMinute / 10),
  now = () => performance.now(),
}: TokenBucketOptions): TokenBucket {
  const perMs = ratePerMinute / 60_000;
  // Starts full: a new tube may carry its burst at once, then the rate.
  let tokens = burst;
  let last = now();
  function refill(): void {
    const t = now();
    tokens = Math.min(burst, tokens + (t - last) * perMs);
    last = t;
  }
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    refund() {
      tokens = Math.min(burst, tokens + 1);
    },
    get tokens() {
      refill();
      return tokens;
    },
  };
}
