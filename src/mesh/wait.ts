/**
 * @module
 * Polling for readiness. Starters ask the real thing (a query, a PING, an HTTP endpoint)
 * until it answers, instead of sleeping for a guessed time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { WaitTimeoutError } from './errors.ts';

export interface WaitForOptions {
  /** Shown in the timeout error: "timed out after 30000 ms waiting for <what>". */
  what: string;
  /** Give up after this many milliseconds. */
  timeout?: number;
  /** Pause between attempts, in milliseconds. */
  interval?: number;
  /** Stops waiting at once, rejecting with the signal's reason (e.g. the process exited). */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a truthy value, and resolves with that value. A probe that
 * throws or returns a falsy value is tried again after `interval`; the last error becomes the
 * `cause` of the {@link WaitTimeoutError}.
 *
 * @example
 * ```ts
 * const leader = await waitFor(
 *   async () => (await fetch(`${url}/v1/status/leader`)).json(),
 *   { what: 'a Consul leader', timeout: 10_000 },
 * );
 * ```
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { what, timeout = 30_000, interval = 50, signal }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeout;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    signal?.throwIfAborted();
    const left = deadline - performance.now();
    if (left <= 0) throw new WaitTimeoutError(what, timeout, lastError ? { cause: lastError } : undefined);
    try {
      await delay(Math.min(interval, left), undefined, signal ? { signal } : undefined);
    } catch {
      signal?.throwIfAborted();
    }
  }
}
