/**
 * @module
 * Quotas and rate limits: per user and per client address, for requests, tank creations,
 * transfers, open WebSockets and event streams, counted in this process or in Redis (the CLI
 * chooses the backend once), refused with 429 problem+json and the IETF `RateLimit` fields.
 */
export { type LimitsConfig, NO_LIMITS } from './config.ts';
export { type ConnectionLimit, createConnectionLimit, type Holder } from './connections.ts';
export {
  CONNECTION_RETRY_SECONDS,
  rateLimited,
  rateLimitFields,
  tankQuotaExceeded,
  tooManyConnections,
} from './errors.ts';
export {
  type Caller,
  type CreateLimitsOptions,
  createLimits,
  type LimitKind,
  type Limits,
} from './limits.ts';
export { createMemoryLimitBackend } from './memory.ts';
export { clientAddress, type LimitRequestsOptions, limitRequests, peerAddress } from './middleware.ts';
export { createRedisLimitBackend, type RedisLimitBackendOptions } from './redis.ts';
export type { Counter, CounterOptions, CounterState, LimitBackend } from './types.ts';
