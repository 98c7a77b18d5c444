/**
 * @module
 * The contract of a limit backend (rate-limiter-flexible's memory or Redis store behind it) and
 * the state one counted unit leaves, which the `RateLimit` header fields report.
 */

/** What is left of one key's allowance after a unit was counted. */
export interface CounterState {
  /** False when this unit went past the allowance (the caller refuses the request). */
  allowed: boolean;
  /** The policy name (`requests-per-user`…), as the `RateLimit` fields carry it. */
  policy: string;
  /** Units allowed per window. */
  limit: number;
  windowSeconds: number;
  /** Units left in the current window (0 when refused). */
  remaining: number;
  /** Milliseconds until the window ends and the allowance is whole again. */
  resetMs: number;
}

/** `limit` units per `windowSeconds` for each key. */
export interface Counter {
  /** Counts one unit for `key`; resolves with the state it leaves (never rejects on a refusal). */
  consume(key: string): Promise<CounterState>;
}

export interface CounterOptions {
  /** Names the policy and the keys' namespace (`requests-per-user`). */
  name: string;
  limit: number;
  windowSeconds: number;
}

/**
 * Where counts are kept: this process (the embedded default) or Redis (shared by every gateway
 * and server on it). Chosen once in src/commands and handed down.
 */
export interface LimitBackend {
  readonly kind: 'memory' | 'redis';
  counter(options: CounterOptions): Counter;
  /** Ends the backend's connection; safe to call twice. */
  close(): Promise<void>;
}
