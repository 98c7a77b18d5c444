/**
 * @module
 * User tokens: JWT verification with `jose` (an HS256 shared secret in development, a JWKS
 * URL in production) and minting of development tokens (`tankworld token --user alice`).
 */
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  SignJWT,
} from 'jose';
import { ExpiredTokenError, InvalidTokenError, KeysUnavailableError, MissingTokenError } from './errors.ts';

/** Who a verified token speaks for. */
export interface AuthUser {
  userId: string;
  /** From the space-separated `scope` claim (RFC 8693), when the token has one. */
  scopes?: string[];
}

export interface TokenVerifier {
  /** The token's user, or an `AuthError` (missing, invalid or expired token). */
  verify(token: string | undefined): Promise<AuthUser>;
}

export interface TokenVerifierOptions {
  /** HS256 shared secret (at least 16 characters, like `JWT_SECRET` in config). */
  secret?: string;
  /** JWKS endpoint of the identity provider; asymmetric algorithms only. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Milliseconds since the epoch; tests move it to check expiry. */
  clock?: () => number;
  /** Slack for `exp`/`nbf` against clocks of other machines. */
  clockToleranceSeconds?: number;
}

/** Shortest HS256 secret accepted; matches the `jwtSecret` rule in `src/config.ts`. */
const MIN_SECRET_LENGTH = 16;
/**
 * Keys from a JWKS are public keys: allowing HS256 there would let anyone sign with a public
 * key as the HMAC secret (algorithm confusion), so only asymmetric algorithms are accepted.
 */
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

function hmacKey(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`the JWT secret must have at least ${MIN_SECRET_LENGTH} characters`);
  }
  return new TextEncoder().encode(secret);
}

/**
 * A subject becomes a user id in queries, logs and grants: PostgreSQL refuses NUL in text, and no
 * C0 control or DEL belongs in a name, so such a token names nobody (401, not a 500 later on).
 */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function toUser(payload: JWTPayload): AuthUser {
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw new InvalidTokenError('the token has no subject');
  if (hasControl(payload.sub)) throw new InvalidTokenError('the token subject holds a control character');
  const scope = payload.scope;
  if (scope === undefined) return { userId: payload.sub };
  if (typeof scope !== 'string') throw new InvalidTokenError('the scope claim is not a string');
  return { userId: payload.sub, scopes: scope.split(' ').filter(Boolean) };
}

/** Maps jose's errors to ours (a key lookup that failed is already a `KeysUnavailableError`). */
function translate(err: unknown): unknown {
  if (err instanceof errors.JWTExpired) return new ExpiredTokenError(undefined, { cause: err });
  if (err instanceof errors.JOSEError) return new InvalidTokenError(undefined, { cause: err });
  return err;
}

/**
 * True when a JWKS lookup failed because of the provider (refused, timed out, not 200, not a
 * key set), not because of the token (no key with its `kid`, an unsupported `alg`).
 */
function providerFailed(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return (
    err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === 'ERR_JOSE_GENERIC'
  );
}

type VerifyJwt = (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

/** `jwtVerify` bound to the key source and the algorithms that go with it. */
function keyedVerify(secret: string | undefined, jwksUrl: string | undefined): VerifyJwt {
  if (secret !== undefined) {
    const key = hmacKey(secret);
    return (token, options) => jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
  }
  const url = new URL(jwksUrl as string);
  const remote = createRemoteJWKSet(url);
  const jwks: JWTVerifyGetKey = async function keyFor(header, token) {
    try {
      return await remote(header, token);
    } catch (err) {
      if (!providerFailed(err)) throw err;
      throw new KeysUnavailableError(`the identity provider's keys at ${url.origin} could not be read`, {
        cause: err,
      });
    }
  };
  return (token, options) => jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS });
}

/**
 * Creates a verifier for user tokens. Give exactly one of `secret` and `jwksUrl`; bad
 * options throw here, when the app is built, not on the first request.
 *
 * @example
 * ```ts
 * const verifier = createTokenVerifier({ secret: config.jwtSecret });
 * const { userId } = await verifier.verify(token); // throws MissingTokenError, InvalidTokenError, ExpiredTokenError
 * ```
 */
export function createTokenVerifier({
  secret,
  jwksUrl,
  issuer = 'tankworld',
  audience = 'tankworld',
  clock = Date.now,
  clockToleranceSeconds = 5,
}: TokenVerifierOptions): TokenVerifier {
  if ((secret === undefined) === (jwksUrl === undefined)) {
    throw new TypeError('createTokenVerifier needs exactly one of secret and jwksUrl');
  }
  const verifyJwt = keyedVerify(secret, jwksUrl);
  return {
    async verify(token) {
      if (!token) throw new MissingTokenError();
      let payload: JWTPayload;
      try {
        ({ payload } = await verifyJwt(token, {
          issuer,
          audience,
          currentDate: new Date(clock()),
          clockTolerance: clockToleranceSeconds,
          // A token without `exp` would never expire; without `sub` it names nobody.
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw translate(err);
      }
      return toUser(payload);
    },
  };
}

export interface MintTokenOptions {
  secret: string;
  userId: string;
  ttlSeconds?: number;
  scopes?: string[];
  issuer?: string;
  audience?: string;
  /** Milliseconds since the epoch the token is issued at. */
  now?: number;
}

/**
 * Signs an HS256 user token, as `tankworld token --user alice` prints it.
 *
 * @example
 * ```ts
 * const token = await mintToken({ secret: config.jwtSecret, userId: 'alice' });
 * await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function mintToken({
  secret,
  userId,
  ttlSeconds = 86_400,
  scopes,
  issuer = 'tankworld',
  audience = 'tankworld',
  now = Date.now(),
}: MintTokenOptions): Promise<string> {
  if (userId === '') throw new TypeError('mintToken needs a userId');
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT(scopes === undefined ? {} : { scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(hmacKey(secret));
}

/** Mints user tokens for the gateway (the viewer's short-lived WebSocket token). */
export interface TokenMinter {
  mint(options: { userId: string; scopes?: string[]; ttlSeconds: number }): Promise<string>;
}

/**
 * A `TokenMinter` on the HS256 secret the servers verify with; there is none when user tokens
 * come from an identity provider (`JWKS_URL`), since only the provider can sign those.
 *
 * @example
 * ```ts
 * const minter = createTokenMinter({ secret: config.jwtSecret, issuer: config.jwtIssuer });
 * const token = await minter.mint({ userId: 'alice', ttlSeconds: 60 });
 * ```
 */
export function createTokenMinter({
  secret,
  issuer,
  audience,
}: Pick<MintTokenOptions, 'secret' | 'issuer' | 'audience'>): TokenMinter {
  hmacKey(secret);
  return {
    mint: ({ userId, scopes, ttlSeconds }) =>
      mintToken({ secret, userId, scopes, ttlSeconds, issuer, audience }),
  };
}
