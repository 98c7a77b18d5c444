/**
 * @module
 * The one codec both adapters use, so a subscriber or reader sees the same values whether
 * the state went through Redis or stayed in the process: events are JSON strings, records are
 * flat string maps (a Redis hash) with one JSON value per field.
 */
import type { z } from 'zod';
import { InvalidRealtimeValueError } from './errors.ts';
import { type ExpiryOptions, type NetworkEvent, networkEventSchema } from './types.ts';

/** A record as Redis stores it: one hash field per property, its value JSON-encoded. */
export type EncodedRecord = Record<string, string>;

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidRealtimeValueError(`invalid ${what}: ${result.error.message}`);
  return result.data;
}

/**
 * Validates an event and turns it into the message text.
 *
 * @example
 * ```ts
 * const text = encodeEvent({ type: 'server_up', server_id: 's1', at: new Date().toISOString() });
 * ```
 */
export function encodeEvent(event: NetworkEvent): string {
  return JSON.stringify(check(networkEventSchema, event, 'network event'));
}

/**
 * Parses and validates message text; throws `InvalidRealtimeValueError` on anything else.
 *
 * @example
 * ```ts
 * const event = decodeEvent(text); // a fresh object per call
 * ```
 */
export function decodeEvent(text: string): NetworkEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidRealtimeValueError('network event is not JSON', { cause });
  }
  return check(networkEventSchema, value, 'network event');
}

/**
 * Validates a record and encodes it field by field (JSON per field keeps numbers numbers
 * and leaves room for nested values without a second format).
 *
 * @example
 * ```ts
 * encodeRecord(serverLoadSchema, load, 'server load'); // { tank_count: '3', updated_at: '"2026-…"', … }
 * ```
 */
export function encodeRecord<T extends object>(schema: z.ZodType<T>, value: T, what: string): EncodedRecord {
  const valid = check(schema, value, what);
  const encoded: EncodedRecord = {};
  for (const [key, field] of Object.entries(valid)) encoded[key] = JSON.stringify(field);
  return encoded;
}

/**
 * Decodes a stored record; `undefined` for an empty one (a missing or expired Redis hash
 * reads as `{}`), `InvalidRealtimeValueError` for one that does not fit the schema.
 *
 * @example
 * ```ts
 * const load = decodeRecord(serverLoadSchema, await client.hGetAll(key), 'server load');
 * ```
 */
export function decodeRecord<T>(schema: z.ZodType<T>, encoded: EncodedRecord, what: string): T | undefined {
  const entries = Object.entries(encoded);
  if (entries.length === 0) return undefined;
  const value: Record<string, unknown> = {};
  try {
    for (const [key, field] of entries) value[key] = JSON.parse(field);
  } catch (cause) {
    throw new InvalidRealtimeValueError(`${what} holds a field that is not JSON`, { cause });
  }
  return check(schema, value, what);
}

/**
 * The expiry in whole milliseconds, as PEXPIRE takes it; a bad one is the caller's bug.
 *
 * @example
 * ```ts
 * checkTtl({ ttlMs: 30_000 }); // 30000
 * ```
 */
export function checkTtl({ ttlMs }: ExpiryOptions): number {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
  }
  return ttlMs;
}

/**
 * Decodes the hash of each id (`hashes[i]` is `ids[i]`'s) into a map of the values present; a
 * value another writer filled with junk is reported to `onError` and left out, so it cannot
 * hide every other server's load.
 *
 * @example
 * ```ts
 * const loads = decodeAll(ids, hashes, serverLoadSchema, 'server load', onError);
 * ```
 */
export function decodeAll<T>(
  ids: readonly string[],
  hashes: EncodedRecord[],
  schema: z.ZodType<T>,
  what: string,
  onError: (err: unknown) => void,
): Map<string, T> {
  const result = new Map<string, T>();
  ids.forEach((id, i) => {
    try {
      const value = decodeRecord(schema, hashes[i] as EncodedRecord, `${what} of ${id}`);
      if (value !== undefined) result.set(id, value);
    } catch (err) {
      if (!(err instanceof InvalidRealtimeValueError)) throw err;
      onError(err);
    }
  });
  return result;
}
