/**
 * @module
 * Limit counts in this process (rate-limiter-flexible's `RateLimiterMemory`): the embedded
 * default, where the gateway and its servers share one process and one backend.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { fromLibrary } from './outcome.ts';
import type { Counter, CounterOptions, LimitBackend } from './types.ts';

/**
 * @example
 * ```ts
 * const backend = createMemoryLimitBackend();
 * const perUser = backend.counter({ name: 'requests-per-user', limit: 600, windowSeconds: 60 });
 * const { allowed } = await perUser.consume('alice');
 * ```
 */
export function createMemoryLimitBackend({ prefix = '' }: { prefix?: string } = {}): LimitBackend {
  // One limiter per policy, as Redis has one key space: the gateway and the servers of an
  // embedded process that ask for the same counter count together.
  const limiters = new Map<string, RateLimiterMemory>();
  return {
    kind: 'memory',
    counter({ name, limit, windowSeconds }: CounterOptions): Counter {
      const id = `${prefix}${name}:${limit}/${windowSeconds}`;
      let limiter = limiters.get(id);
      if (!limiter) {
        limiter = new RateLimiterMemory({ keyPrefix: id, points: limit, duration: windowSeconds });
        limiters.set(id, limiter);
      }
      const counted = limiter;
      return {
        consume: (key) => fromLibrary(counted.consume(key), { name, limit, windowSeconds }),
      };
    },
    async close() {},
  };
}
