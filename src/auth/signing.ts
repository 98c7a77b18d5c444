/**
 * @module
 * Signed internal requests (gateway → server, server → server): an HMAC-SHA256 over the
 * method, the path with its query, the body's SHA-256, a timestamp and a nonce. Defence in
 * depth beside the mesh's mTLS: a request that is unsigned, altered, stale or replayed is
 * refused even if it got onto the network.
 */
import { createHmac, hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError } from './errors.ts';
import { headerValue, type RequestHeaders } from './headers.ts';

/** The headers a signed request carries. */
export const SignatureHeader = {
  timestamp: 'x-tw-timestamp',
  nonce: 'x-tw-nonce',
  signature: 'x-tw-signature',
} as const;

/** What a body may be when signed or checked; absent means empty. */
export type SignedBody = string | Uint8Array | null | undefined;

/** Shortest secret accepted; matches the `internalSecret` rule in `src/config.ts`. */
const MIN_SECRET_LENGTH = 16;
const TIMESTAMP = /^\d{1,16}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

function checkSecret(secret: string): string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`the internal secret must have at least ${MIN_SECRET_LENGTH} characters`);
  }
  return secret;
}

function signature(
  secret: string,
  method: string,
  path: string,
  body: SignedBody,
  timestamp: string,
  nonce: string,
) {
  // One-shot hash: no Hash object per request (every internal call signs and checks one).
  const bodyHash = hash('sha256', body ?? '', 'hex');
  // One field per line: no field can hold a newline (method and path are URL parts, the
  // others are checked), so no two requests share a canonical string.
  const canonical = `${method.toUpperCase()}\n${path}\n${bodyHash}\n${timestamp}\n${nonce}`;
  return createHmac('sha256', secret).update(canonical).digest();
}

export interface SignRequestOptions {
  secret: string;
  method: string;
  /** Path and query exactly as sent, e.g. `/internal/tanks?restore=1`. */
  path: string;
  body?: SignedBody;
  /** Milliseconds since the epoch. */
  now?: number;
  nonce?: string;
}

/**
 * The headers that sign one internal request. Sign the bytes you send: re-serialising the
 * body afterwards breaks the signature.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ tank_id: id });
 * const url = new URL('/internal/tanks', server.internalUrl);
 * const headers = signRequest({ secret, method: 'POST', path: url.pathname + url.search, body });
 * await fetch(url, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
 * ```
 */
export function signRequest({
  secret,
  method,
  path,
  body,
  now = Date.now(),
  // randomUUID draws from a cached pool of random bytes: 122 random bits, no syscall a call.
  nonce = randomUUID(),
}: SignRequestOptions): Record<string, string> {
  if (!NONCE.test(nonce)) throw new TypeError('a nonce is 16 to 128 characters of [A-Za-z0-9_-]');
  const timestamp = String(Math.trunc(now));
  return {
    [SignatureHeader.timestamp]: timestamp,
    [SignatureHeader.nonce]: nonce,
    [SignatureHeader.signature]: signature(
      checkSecret(secret),
      method,
      path,
      body,
      timestamp,
      nonce,
    ).toString('hex'),
  };
}

/** One received request, as the verifier needs it. */
export interface SignedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  body?: SignedBody;
  headers: RequestHeaders;
}

export interface InternalVerifier {
  /** Resolves for a valid first-seen request; rejects with `InvalidSignatureError` otherwise. */
  verify(request: SignedRequest): Promise<void>;
  /** How many nonces are held now (for a metrics gauge). */
  readonly rememberedNonces: number;
}

export interface InternalVerifierOptions {
  secret: string;
  /** How far a request's timestamp may be from our clock, either way. */
  windowMs?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  /** The most nonces held at once; past it the window shrinks instead of memory growing. */
  maxNonces?: number;
}

/**
 * Checks signed internal requests and refuses replays. Each accepted nonce is remembered
 * until its timestamp leaves the window; when `maxNonces` are held, the oldest is forgotten
 * and every request not newer than it is refused from then on, so a replay of a forgotten
 * nonce can never pass: under overload the window narrows, it never opens.
 *
 * @example
 * ```ts
 * const verifier = createInternalVerifier({ secret: config.internalSecret });
 * await verifier.verify({ method: 'POST', path: '/internal/tanks', body, headers: req.headers });
 * ```
 */
export function createInternalVerifier({
  secret,
  windowMs = 30_000,
  clock = Date.now,
  maxNonces = 100_000,
}: InternalVerifierOptions): InternalVerifier {
  checkSecret(secret);
  if (!(windowMs > 0)) throw new TypeError('windowMs must be positive');
  if (!(Number.isInteger(maxNonces) && maxNonces > 0))
    throw new TypeError('maxNonces must be a positive integer');
  // nonce → its request's timestamp, in arrival order (close to timestamp order).
  const nonces = new Map<string, number>();
  // Requests at or before this timestamp may reuse a nonce we no longer hold.
  let floor = Number.NEGATIVE_INFINITY;

  function forgetOldest(): void {
    const [nonce, timestamp] = nonces.entries().next().value as [string, number];
    nonces.delete(nonce);
    floor = Math.max(floor, timestamp);
  }

  return {
    get rememberedNonces() {
      return nonces.size;
    },

    async verify({ method, path, body, headers }) {
      const timestamp = headerValue(headers, SignatureHeader.timestamp);
      const nonce = headerValue(headers, SignatureHeader.nonce);
      const given = headerValue(headers, SignatureHeader.signature);
      if (timestamp === undefined || nonce === undefined || given === undefined) {
        throw new InvalidSignatureError('missing', 'the internal request is not signed');
      }
      if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(given)) {
        throw new InvalidSignatureError('malformed', 'the signature headers are malformed');
      }
      const now = clock();
      const sentAt = Number(timestamp);
      if (Math.abs(now - sentAt) > windowMs) {
        throw new InvalidSignatureError('expired', 'the internal request is outside the time window');
      }
      const expected = signature(secret, method, path, body, timestamp, nonce);
      if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) {
        throw new InvalidSignatureError('mismatch', 'the signature does not match the request');
      }
      // Nonces are checked and stored only for correctly signed requests, so nobody without
      // the secret can fill the memory or push the floor up.
      while (nonces.size > 0) {
        const [, oldest] = nonces.entries().next().value as [string, number];
        if (oldest + windowMs >= now) break;
        forgetOldest();
      }
      if (sentAt <= floor) {
        throw new InvalidSignatureError('expired', 'the internal request is too old to check for replay');
      }
      if (nonces.has(nonce)) throw new InvalidSignatureError('replayed', 'the nonce has been used already');
      if (nonces.size >= maxNonces) forgetOldest();
      nonces.set(nonce, sentAt);
    },
  };
}
