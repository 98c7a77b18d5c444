/**
 * @module
 * The quota and rate-limit settings every command shares, as `src/config.ts` reads them (their
 * schema fields and environment variables), and the `LimitsConfig` they make.
 */
import { z } from 'zod';
import type { LimitsConfig } from './limits/index.ts';

/** A limit's allowance; 0 turns it off. */
const allowance = z.coerce.number().int().min(0);

/** Fields of the common settings' schema. */
export const limitSettings = {
  /**
   * Quotas and rate limits (per user and per client address; 0 = off). Rates are per window of
   * `rateLimitWindowSeconds`, counted in Redis when `redisUrl` is set (shared by every gateway,
   * and by every server), in this process otherwise.
   */
  rateLimitWindowSeconds: z.coerce.number().int().positive().default(60),
  /** A refused request's 429 waits this long (at most until its window ends); 0 = at once. */
  rateLimitRefusalDelayMs: z.coerce.number().int().min(0).max(10_000).default(1000),
  rateLimitRequestsPerUser: allowance.default(6000),
  /**
   * A burst cap beside the window: a user's requests in any one second. The defaults leave room
   * for scripted clients (the process tests poll ~75 requests/s as one user) and a dashboard.
   */
  rateLimitRequestsPerUserPerSecond: allowance.default(200),
  rateLimitRequestsPerAddress: allowance.default(24_000),
  rateLimitCreatesPerUser: allowance.default(60),
  rateLimitCreatesPerUserPerSecond: allowance.default(20),
  rateLimitCreatesPerAddress: allowance.default(240),
  rateLimitTransfersPerUser: allowance.default(600),
  rateLimitTransfersPerAddress: allowance.default(2400),
  /** WebSockets open at once on one tank server. */
  wsMaxPerUser: allowance.default(200),
  wsMaxPerAddress: allowance.default(800),
  /** Event streams (`/api/events`) open at once on one gateway. */
  sseMaxPerUser: allowance.default(20),
  sseMaxPerAddress: allowance.default(200),
  /** Tanks one user may own in the network. */
  tankQuotaPerUser: allowance.default(100),
};

export type LimitSettings = { [K in keyof typeof limitSettings]: z.infer<(typeof limitSettings)[K]> };

/** Environment variable for each limit setting. */
export const LIMIT_ENV: Record<keyof typeof limitSettings, string> = {
  rateLimitWindowSeconds: 'RATE_LIMIT_WINDOW_SECONDS',
  rateLimitRefusalDelayMs: 'RATE_LIMIT_REFUSAL_DELAY_MS',
  rateLimitRequestsPerUser: 'RATE_LIMIT_REQUESTS_PER_USER',
  rateLimitRequestsPerUserPerSecond: 'RATE_LIMIT_REQUESTS_PER_USER_PER_SECOND',
  rateLimitRequestsPerAddress: 'RATE_LIMIT_REQUESTS_PER_ADDRESS',
  rateLimitCreatesPerUser: 'RATE_LIMIT_CREATES_PER_USER',
  rateLimitCreatesPerUserPerSecond: 'RATE_LIMIT_CREATES_PER_USER_PER_SECOND',
  rateLimitCreatesPerAddress: 'RATE_LIMIT_CREATES_PER_ADDRESS',
  rateLimitTransfersPerUser: 'RATE_LIMIT_TRANSFERS_PER_USER',
  rateLimitTransfersPerAddress: 'RATE_LIMIT_TRANSFERS_PER_ADDRESS',
  wsMaxPerUser: 'WS_MAX_PER_USER',
  wsMaxPerAddress: 'WS_MAX_PER_ADDRESS',
  sseMaxPerUser: 'SSE_MAX_PER_USER',
  sseMaxPerAddress: 'SSE_MAX_PER_ADDRESS',
  tankQuotaPerUser: 'TANK_QUOTA_PER_USER',
};

/**
 * The limits part of a configuration, as `createLimits` takes it.
 *
 * @example
 * ```ts
 * const limits = createLimits({ backend, config: limitsConfigOf(config), scope: 'gateway' });
 * ```
 */
export function limitsConfigOf(config: LimitSettings): LimitsConfig {
  return {
    windowSeconds: config.rateLimitWindowSeconds,
    refusalDelayMs: config.rateLimitRefusalDelayMs,
    requestsPerUser: config.rateLimitRequestsPerUser,
    requestsPerUserPerSecond: config.rateLimitRequestsPerUserPerSecond,
    requestsPerAddress: config.rateLimitRequestsPerAddress,
    createsPerUser: config.rateLimitCreatesPerUser,
    createsPerUserPerSecond: config.rateLimitCreatesPerUserPerSecond,
    createsPerAddress: config.rateLimitCreatesPerAddress,
    transfersPerUser: config.rateLimitTransfersPerUser,
    transfersPerAddress: config.rateLimitTransfersPerAddress,
    wsPerUser: config.wsMaxPerUser,
    wsPerAddress: config.wsMaxPerAddress,
    ssePerUser: config.sseMaxPerUser,
    ssePerAddress: config.sseMaxPerAddress,
    tanksPerOwner: config.tankQuotaPerUser,
  };
}
