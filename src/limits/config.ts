/**
 * @module
 * The limits one gateway or server enforces. Every number is per key (a user id or a client
 * address); 0 turns that limit off.
 */

export interface LimitsConfig {
  /** Length of a rate window, in seconds: the allowances below are per window. */
  windowSeconds: number;
  requestsPerUser: number;
  requestsPerAddress: number;
  /** Tank creations (`POST /api/tanks`). */
  createsPerUser: number;
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
  requestsPerUser: 0,
  requestsPerAddress: 0,
  createsPerUser: 0,
  createsPerAddress: 0,
  transfersPerUser: 0,
  transfersPerAddress: 0,
  wsPerUser: 0,
  wsPerAddress: 0,
  ssePerUser: 0,
  ssePerAddress: 0,
  tanksPerOwner: 0,
};
