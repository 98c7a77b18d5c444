/**
 * @module
 * Small field checkers for data from outside (payloads, snapshots). Each throws a SimError with
 * the given code and the field's path, so callers learn exactly what was wrong.
 */
import { SimError, type SimErrorCode } from './errors.ts';

/** Uids are `<prefix>.<base36 counter>`; any tank's prefix is accepted. */
export const UID_PATTERN = /^[A-Za-z0-9_-]{1,64}\.[0-9a-z]{1,12}$/;

export interface Checker {
  obj(v: unknown, path: string): Record<string, unknown>;
  arr(v: unknown, path: string): unknown[];
  num(v: unknown, path: string, min?: number, max?: number): number;
  int(v: unknown, path: string, min?: number, max?: number): number;
  bool(v: unknown, path: string): boolean;
  str(v: unknown, path: string, pattern: RegExp): string;
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T;
}

/**
 * @example
 * ```ts
 * const check = checker('invalid_payload');
 * const age = check.int(payload.age, 'age', 0);
 * ```
 */
export function checker(code: SimErrorCode): Checker {
  const fail = (path: string, what: string): never => {
    throw new SimError(code, `${path} ${what}`);
  };
  const num = (v: unknown, path: string, min = -Infinity, max = Infinity): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(path, 'must be a finite number');
    if (v < min || v > max) return fail(path, `must be within ${min}–${max}, got ${v}`);
    return v;
  };
  return {
    obj(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'must be an object');
      return v as Record<string, unknown>;
    },
    arr(v, path) {
      if (!Array.isArray(v)) return fail(path, 'must be an array');
      return v;
    },
    num,
    int(v, path, min = 0, max = 2 ** 31 - 1) {
      const n = num(v, path, min, max);
      if (!Number.isInteger(n)) return fail(path, 'must be an integer');
      return n;
    },
    bool(v, path) {
      if (typeof v !== 'boolean') return fail(path, 'must be a boolean');
      return v;
    },
    str(v, path, pattern) {
      if (typeof v !== 'string' || !pattern.test(v)) return fail(path, `must match ${pattern}`);
      return v;
    },
    oneOf(v, path, values) {
      if (!values.includes(v as never)) return fail(path, `must be one of ${values.join(', ')}`);
      return v as (typeof values)[number];
    },
  };
}
