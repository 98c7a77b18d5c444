/**
 * @module
 * A verifier that remembers tokens it has verified. Checking an HS256 signature costs more than
 * the rest of a cached lookup, and a dashboard sends the same token thousands of times; a token
 * is only ever trusted until its own `exp`, so remembering it changes no answer. Failures are
 * never remembered: a bad token is checked again (and refused again) every time.
 */
import { decodeJwt } from 'jose';
import type { AuthUser, TokenVerifier } from '../auth/index.ts';

export interface CachingVerifierOptions {
  verifier: TokenVerifier;
  /** Most tokens remembered; past it the oldest is forgotten. */
  maxEntries?: number;
  /** Longest a token is remembered, even if it expires later. */
  maxAgeMs?: number;
  clock?: () => number;
}

interface Remembered {
  user: AuthUser;
  until: number;
}

/**
 * @example
 * ```ts
 * const verifier = cachingVerifier({ verifier: createTokenVerifier({ secret }) });
 * app.use('/api/*', bearerAuth({ verifier }));
 * ```
 */
export function cachingVerifier({
  verifier,
  maxEntries = 10_000,
  maxAgeMs = 300_000,
  clock = Date.now,
}: CachingVerifierOptions): TokenVerifier {
  const remembered = new Map<string, Remembered>();
  return {
    async verify(token) {
      if (token) {
        const hit = remembered.get(token);
        if (hit !== undefined) {
          if (hit.until > clock()) return hit.user;
          remembered.delete(token);
        }
      }
      const user = await verifier.verify(token);
      // The inner verifier has checked the token, so its `exp` can be trusted as written.
      const exp = decodeJwt(token as string).exp;
      const until = Math.min(clock() + maxAgeMs, typeof exp === 'number' ? exp * 1000 : 0);
      if (until > clock()) {
        if (remembered.size >= maxEntries) {
          const oldest = remembered.keys().next().value;
          if (oldest !== undefined) remembered.delete(oldest);
        }
        remembered.set(token as string, { user, until });
      }
      return user;
    },
  };
}
