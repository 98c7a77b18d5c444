/**
 * @module
 * The table of stable error codes and their HTTP statuses (`ProblemCode`), apart from the
 * problem+json writing in `problem.ts` so that other tables keyed by code (`retry-after.ts`)
 * can type against it without importing the writer.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The status of every stable error code. Each error family types its `code` against this table
 * (`ProblemCode`), so a code missing here is a compile error, not a silent 500. A code whose
 * status is 500 is a fault: it is logged and answered as `internal`.
 */
export const STATUS_BY_CODE = {
  invalid_request: 400,
  malformed_request: 400,
  malformed_json: 400,
  invalid_genome: 400,
  invalid_payload: 400,
  invalid_position: 400,
  invalid_options: 400,
  invalid_snapshot: 400,
  // A tank archive (src/archive) that cannot be imported, and why.
  archive_corrupt: 400,
  archive_truncated: 400,
  archive_foreign: 415,
  archive_version_unsupported: 422,
  archive_too_large: 413,
  invalid_value: 400,
  same_tank: 400,
  missing_token: 401,
  invalid_token: 401,
  expired_token: 401,
  invalid_signature: 401,
  forbidden: 403,
  csrf_refused: 403,
  tank_quota_exceeded: 403,
  not_found: 404,
  tank_not_found: 404,
  /** A tube (src/tubes) that does not exist, or not at the tank named. */
  connection_not_found: 404,
  unknown_entity: 404,
  snapshot_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  tank_full: 409,
  duplicate_entity: 409,
  tank_paused: 409,
  tank_failed: 409,
  tank_exists: 409,
  /** A tube between these two tanks, in this direction, exists already. */
  connection_exists: 409,
  /** A tube into a tank that takes no transfers and belongs to someone else. */
  transfers_not_allowed: 403,
  stale_epoch: 409,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  /** A move's `server_id` that is malformed or names the tank's own server. */
  invalid_move_target: 422,
  /** A move's `server_id` that names no known, healthy server. */
  move_target_unavailable: 409,
  /** A create's `server_id` that is not a server id. */
  invalid_placement_target: 422,
  /** A create's chosen server (or region) that cannot take a tank: unknown, unhealthy, draining, full. */
  placement_unavailable: 409,
  headers_too_large: 431,
  misdirected_request: 421,
  rate_limited: 429,
  too_many_connections: 429,
  upstream_unavailable: 502,
  no_healthy_server: 503,
  unavailable: 503,
  realtime_unavailable: 503,
  store_unavailable: 503,
  auth_unavailable: 503,
  upstream_timeout: 504,
  tank_unavailable: 503,
  /** The server lost its lease and stopped its tanks (src/server/lease.ts); ask the gateway again. */
  server_fenced: 503,
  /** The tank is frozen for a live move (a few tens of ms); retry, through the gateway. */
  tank_moving: 503,
  discovery_unavailable: 503,
  discovery_closed: 503,
  invalid_registration: 400,
  not_registered: 409,
  store_failed: 500,
  invalid_realtime_value: 500,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

/** A stable error code: a key of `STATUS_BY_CODE`. */
export type ProblemCode = keyof typeof STATUS_BY_CODE;

/** The status `STATUS_BY_CODE` gives code `C`. */
export type StatusOf<C extends ProblemCode> = (typeof STATUS_BY_CODE)[C];

/**
 * The status of a stable code, from the one table.
 *
 * @example
 * ```ts
 * readonly status = problemStatus('auth_unavailable'); // 503
 * ```
 */
export function problemStatus<C extends ProblemCode>(code: C): StatusOf<C> {
  return STATUS_BY_CODE[code];
}

/**
 * Whether a string (a code read off the wire) is one of ours. An own-property test, so a name
 * on `Object.prototype` (`toString`) is not taken for a code.
 */
export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code);
}
