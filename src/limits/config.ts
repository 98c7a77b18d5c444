/**
 * @module
 * The limits one gateway or server enforces. Every number is per key (a user id or a client
 * address); 0 turns that limit off.
 */

export interface LimitsConfig {
  /** Length of a rate window, in seconds: the allowances below are per window. */
  windowSeconds: number;
  /**
   * How long a refused request waits for its 429 (at most until its window ends): a client that
   * ignores `Retry-After` then gets about one answer per second per connection instead of
   * thousands, which keeps a flood of refusals from taking the cores other users are served on.
   */
  refusalDelayMs: number;
  requestsPerUser: number;
  /** Requests per user in any one second: the window's allowance is not one burst. */
  requestsPerUserPerSecond: number;
  requestsPerAddress: number;
  /** Tank creations (`POST /api/tanks`). */
  createsPerUser: number;
  /** Creations per user in any one second: a window's creates start spread out, not at once. */
  createsPerUserPerSecond: number;
  createsPerAddress: number;
  /** Fish transfers (`POST /gateway/transfer`). */
  transfersPerUser: number;
  transfersPerAddress: number;
  /** WebSockets open at once on one server. */
  wsPerUser: number;
  wsPerAddress: number;
  /** Event streams (`GET /api/events`) open at once on one gateway. */
  ssePerUser: number;
  ssePerAddress: number;
  /** Tanks one owner may have in the network (counted in the `tanks` table). */
  tanksPerOwner: number;
}

/** No limit at all: what `createGateway` and `createTankServer` enforce when given none. */
export const NO_LIMITS: LimitsConfig = {
  windowSeconds: 60,
  refusalDelayMs: 0,
  requestsPerUser: 0,
  requestsPerUserPerSecond: 0,
  requestsPerAddress: 0,
  createsPerUser: 0,
  createsPerUserPerSecond: 0,
  createsPerAddress: 0,
  transfersPerUser: 0,
  transfersPerAddress: 0,
  wsPerUser: 0,
  wsPerAddress: 0,
  ssePerUser: 0,
  ssePerAddress: 0,
  tanksPerOwner: 0,
};
