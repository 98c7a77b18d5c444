/**
 * @module
 * Column helpers the schema files share.
 */
import { sql } from 'drizzle-orm';
import { timestamp } from 'drizzle-orm/pg-core';

/**
 * Millisecond timestamps with a time zone. Precision 3 matches a JS `Date`, so a value read back
 * equals the value written and can serve as a pagination cursor.
 */
export function at(name: string) {
  return timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
}

/** The SQL list `('a', 'b')` for a check constraint over a closed set of strings. */
export function oneOf(values: readonly string[]) {
  return sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);
}
