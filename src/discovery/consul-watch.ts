/**
 * @module
 * The blocking-query loop on `/v1/health/service/:name`, following Consul's client rules
 * (api-docs/features/blocking): carry `X-Consul-Index`, start over when it goes backwards,
 * never block on an index below 1, rate-limit fast churn, back off with jitter on errors.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsulClient, HealthEntry } from './consul-client.ts';

export interface BlockingWatchOptions {
  client: ConsulClient;
  service: string;
  /** How long one query may block on the agent. */
  waitMs: number;
  /** First retry delay after an error; doubles per consecutive failure up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Shortest time between two queries, so a flapping service cannot spin the loop. */
  minIntervalMs: number;
  /** Every successful round, changed or not. */
  onResult(entries: HealthEntry[]): void;
  onError(err: unknown): void;
  /** Source of jitter; `Math.random` unless a test wants it fixed. */
  random?: () => number;
}

export interface BlockingWatch {
  /** Ends the loop and aborts the query in flight. */
  stop(): void;
  /**
   * Drops the index and queries afresh at once. For when the agent is known to have restarted:
   * a restart quicker than the pause between two queries shows no error to the loop, and the
   * old index would make the new agent hold the query for a whole `wait`.
   */
  startOver(): void;
}

/**
 * Starts the loop; it runs until `stop()`, which also aborts the query in flight.
 *
 * @example
 * ```ts
 * const w = startBlockingWatch({ client, service: 'tank-server', waitMs: 30_000, retryBaseMs: 250,
 *   retryMaxMs: 5000, minIntervalMs: 100, onResult: (entries) => …, onError: (err) => … });
 * w.stop();
 * ```
 */
export function startBlockingWatch({
  client,
  service,
  waitMs,
  retryBaseMs,
  retryMaxMs,
  minIntervalMs,
  onResult,
  onError,
  random = Math.random,
}: BlockingWatchOptions): BlockingWatch {
  const controller = new AbortController();
  const { signal } = controller;
  // Aborts only the query in flight, for `startOver()`; `stop()` aborts the whole loop.
  let round = new AbortController();
  let startOverRequested = false;

  async function pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await sleep(ms, undefined, { signal }).catch(() => {});
  }

  async function loop(): Promise<void> {
    let index = 0n;
    let failures = 0;
    while (!signal.aborted) {
      const started = performance.now();
      round = new AbortController();
      if (startOverRequested) index = 0n;
      startOverRequested = false;
      try {
        const query = AbortSignal.any([signal, round.signal]);
        const result = await client.healthService(service, { index, waitMs, signal: query });
        if (signal.aborted) return;
        failures = 0;
        // Backwards means a restarted agent or a snapshot restore: start over with a plain read.
        // Zero means "no index": 1 still blocks, where 0 would answer at once, forever.
        index = result.index < index ? 0n : result.index < 1n ? 1n : result.index;
        onResult(result.entries);
        await pause(minIntervalMs - (performance.now() - started));
      } catch (err) {
        if (signal.aborted) return;
        if (startOverRequested) continue;
        failures += 1;
        // After an outage the agent may count from scratch; an old index would block a whole
        // `wait` before the reset rule above could see it, so the first query back is a plain read.
        index = 0n;
        onError(err);
        const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
        await pause(ceiling / 2 + (random() * ceiling) / 2);
      }
    }
  }

  void loop();
  return {
    stop() {
      controller.abort();
    },
    startOver() {
      startOverRequested = true;
      round.abort();
    },
  };
}
