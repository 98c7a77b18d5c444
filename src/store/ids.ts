/**
 * @module
 * Id checks done before a query: a malformed uuid cannot name a row, and sending one to
 * PostgreSQL would fail the statement (and the transaction around it) instead of finding nothing.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `id` is a uuid in its canonical text form.
 *
 * @example
 * ```ts
 * if (!isUuid(tankId)) return undefined;
 * ```
 */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
