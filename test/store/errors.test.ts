import { describe, expect, it } from 'vitest';
import { toStoreError } from '../../src/store/errors.ts';
import {
  ConflictError,
  InvalidValueError,
  NotFoundError,
  StaleEpochError,
  StoreError,
} from '../../src/store/index.ts';

describe('store errors', () => {
  const cause = new Error('driver said no');

  it.each([
    [new NotFoundError('no tank t1', { cause }), 'NotFoundError', 'not_found', 'no tank t1'],
    [new ConflictError('tank t1 exists', { cause }), 'ConflictError', 'conflict', 'tank t1 exists'],
    [
      new StaleEpochError({ tankId: 't1', expectedEpoch: 3, actualEpoch: 4, actualServerId: 'b' }, { cause }),
      'StaleEpochError',
      'stale_epoch',
      'tank t1: expected epoch 3, but it is at epoch 4 on b',
    ],
    [new InvalidValueError('a NUL', { cause }), 'InvalidValueError', 'invalid_value', 'a NUL'],
    [new StoreError('unavailable', 'down', { cause }), 'StoreError', 'unavailable', 'down'],
  ])('should give %s its name, stable code, message and cause', (err, name, code, message) => {
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toBeInstanceOf(Error);
    expect({ name: err.name, code: err.code, message: err.message, cause: err.cause }).toEqual({
      name,
      code,
      message,
      cause,
    });
  });

  it('should say when a stale tank has no location any more', () => {
    expect(new StaleEpochError({ tankId: 't1', expectedEpoch: 2 }).message).toBe(
      'tank t1: expected epoch 2, but it has no location',
    );
  });

  it('should map driver errors, found under drizzle’s wrapper, to the family', () => {
    const wrapped = (code: string) =>
      Object.assign(new Error('Failed query'), { cause: Object.assign(new Error('pg'), { code }) });
    const cases = [
      [wrapped('23505'), 'conflict'],
      [wrapped('23503'), 'not_found'],
      [wrapped('08006'), 'store_unavailable'],
      // A PostgreSQL still recovering after a crash: a 503 to retry, not a 500.
      [wrapped('57P03'), 'store_unavailable'],
      // A NUL in text (22021) or \u0000 in jsonb (22P05): the caller's bad value, a 400.
      [wrapped('22021'), 'invalid_value'],
      [wrapped('22P05'), 'invalid_value'],
      [Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), 'store_unavailable'],
      [wrapped('42P01'), 'store_failed'],
      [new Error('anything else'), 'store_failed'],
    ] as const;
    for (const [err, code] of cases) {
      const mapped = toStoreError(err, 'op');
      expect([mapped.code, mapped.cause]).toEqual([code, err]);
    }
    const own = new NotFoundError('x');
    expect(toStoreError(own, 'op')).toBe(own);
  });
});
