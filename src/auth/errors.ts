/**
 * @module
 * The auth error family: one stable `code` per failure, with the HTTP `status` (looked up in
 * `STATUS_BY_CODE`) and problem `title` it stands for. Nothing here writes a response; the
 * app's one `onError` does.
 */
import { type ProblemCode, problemStatus, type StatusOf } from '../http/index.ts';

export type AuthErrorCode = Extract<
  ProblemCode,
  'missing_token' | 'invalid_token' | 'expired_token' | 'forbidden' | 'invalid_signature' | 'csrf_refused'
>;

/**
 * Base of every auth failure; catch this to handle them all.
 *
 * @example
 * ```ts
 * if (err instanceof AuthError && err.code === 'expired_token') refreshSession();
 * ```
 */
export class AuthError extends Error {
  override readonly name: string = 'AuthError';
  readonly code: AuthErrorCode;
  readonly status: StatusOf<AuthErrorCode>;
  readonly title: string;
  constructor(code: AuthErrorCode, title: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = problemStatus(code);
    this.title = title;
  }
}

/**
 * No bearer token came with the request.
 *
 * @example
 * ```ts
 * if (!token) throw new MissingTokenError();
 * ```
 */
export class MissingTokenError extends AuthError {
  override readonly name = 'MissingTokenError';
  constructor(message = 'a bearer token is required', options?: { cause?: unknown }) {
    super('missing_token', 'Missing token', message, options);
  }
}

/**
 * The token is malformed, wrongly signed, or for another issuer or audience.
 *
 * @example
 * ```ts
 * throw new InvalidTokenError('token has no subject');
 * ```
 */
export class InvalidTokenError extends AuthError {
  override readonly name = 'InvalidTokenError';
  constructor(message = 'the bearer token is invalid', options?: { cause?: unknown }) {
    super('invalid_token', 'Invalid token', message, options);
  }
}

/**
 * The token was valid once; its `exp` has passed.
 *
 * @example
 * ```ts
 * throw new ExpiredTokenError();
 * ```
 */
export class ExpiredTokenError extends AuthError {
  override readonly name = 'ExpiredTokenError';
  constructor(message = 'the bearer token has expired', options?: { cause?: unknown }) {
    super('expired_token', 'Expired token', message, options);
  }
}

/**
 * The caller is known but lacks the permission level the route needs.
 *
 * @example
 * ```ts
 * if (!hasLevel(granted, 'write')) throw new ForbiddenError(`write access to tank ${tankId} is required`);
 * ```
 */
export class ForbiddenError extends AuthError {
  override readonly name = 'ForbiddenError';
  constructor(message = 'permission denied', options?: { cause?: unknown }) {
    super('forbidden', 'Forbidden', message, options);
  }
}

/**
 * A request that carries the session cookie but may not come from the gateway's own page: the
 * browser names another site or origin in `Sec-Fetch-Site`, or an unsafe method lacks the
 * `X-Requested-With: tankworld` header that a form or a simple cross-site request cannot send.
 *
 * @example
 * ```ts
 * if (c.req.header('x-requested-with') !== 'tankworld') throw new CsrfRefusedError();
 * ```
 */
export class CsrfRefusedError extends AuthError {
  override readonly name = 'CsrfRefusedError';
  constructor(
    message = "a session cookie is only taken from the gateway's own pages (send X-Requested-With: tankworld)",
    options?: { cause?: unknown },
  ) {
    super('csrf_refused', 'Cross-site request refused', message, options);
  }
}

/** Why an internal request's signature was refused (for logs; the client sees one code). */
export const SignatureFailure = {
  missing: 'missing',
  malformed: 'malformed',
  expired: 'expired',
  mismatch: 'mismatch',
  replayed: 'replayed',
} as const;
export type SignatureFailure = keyof typeof SignatureFailure;

/**
 * An internal (gateway → server, server → server) request that is unsigned, tampered with,
 * outside the time window, or a replay.
 *
 * @example
 * ```ts
 * throw new InvalidSignatureError('replayed', 'nonce already used');
 * ```
 */
export class InvalidSignatureError extends AuthError {
  override readonly name = 'InvalidSignatureError';
  readonly reason: SignatureFailure;
  constructor(reason: SignatureFailure, message: string, options?: { cause?: unknown }) {
    super('invalid_signature', 'Invalid signature', message, options);
    this.reason = reason;
  }
}

/**
 * The identity provider's keys (JWKS) could not be fetched: it is down, slow, or answered
 * something that is not a key set. The token may well be good, so this is a 503 to retry, not
 * a 401 that would send the user to log in again. Not an `AuthError`: it blames no caller.
 *
 * @example
 * ```ts
 * throw new KeysUnavailableError('the JWKS endpoint did not answer', { cause: err });
 * ```
 */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
  readonly code = 'auth_unavailable' satisfies ProblemCode;
  readonly status = problemStatus(this.code);
}
