import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ExpiredTokenError,
  ForbiddenError,
  InvalidSignatureError,
  InvalidTokenError,
  MissingTokenError,
} from '../../src/auth/index.ts';

describe('auth errors', () => {
  it.each([
    [new MissingTokenError(), 'MissingTokenError', 'missing_token', 401, 'Missing token'],
    [new InvalidTokenError(), 'InvalidTokenError', 'invalid_token', 401, 'Invalid token'],
    [new ExpiredTokenError(), 'ExpiredTokenError', 'expired_token', 401, 'Expired token'],
    [new ForbiddenError(), 'ForbiddenError', 'forbidden', 403, 'Forbidden'],
    [
      new InvalidSignatureError('replayed', 'again'),
      'InvalidSignatureError',
      'invalid_signature',
      401,
      'Invalid signature',
    ],
  ])('should give %s a stable name, code, status and title', (err, name, code, status, title) => {
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toBeInstanceOf(Error);
    expect({ name: err.name, code: err.code, status: err.status, title: err.title }).toEqual({
      name,
      code,
      status,
      title,
    });
    expect(err.message).not.toBe('');
  });

  it('should keep the cause it wraps', () => {
    const cause = new Error('jose said no');
    expect(new InvalidTokenError('bad', { cause }).cause).toBe(cause);
  });
});
