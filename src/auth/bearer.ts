/**
 * @module
 * Finding the caller's token on a request, and the Hono middleware that verifies it.
 */
import type { MiddlewareHandler } from 'hono';
import { tokenFromRequest } from './headers.ts';
import type { AuthUser, TokenVerifier } from './jwt.ts';
import { requestToken } from './session.ts';

/** The Hono environment of routes behind `bearerAuth`: `c.var.user` is the caller. */
export interface AuthEnv {
  Variables: { user: AuthUser };
}

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /**
   * Also take the web app's session cookie when no Authorization header is given, from the
   * gateway's own pages only (see `requestToken` in `session.ts`). Off on the tank servers.
   */
  session?: boolean;
  /**
   * A request with no token at all (not a bad one) goes on as `GUEST`, who reads public tanks
   * only: the gateway's lists and lookups for the web app's first visit.
   */
  guests?: boolean;
}

/**
 * The caller of a request that came with no token where guests are let in. Its subject is one
 * no verified token can have (the verifier refuses an empty `sub`), so it owns nothing and holds
 * no grant: it reads public tanks only.
 */
export const GUEST: AuthUser = Object.freeze({ userId: '' });

/** True for `GUEST`. */
export function isGuest(user: AuthUser | undefined): boolean {
  return user?.userId === '';
}

/**
 * Verifies the caller's token and sets `c.var.user`; throws an `AuthError` otherwise (the
 * app's `onError` answers it).
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv>();
 * app.use('/api/*', bearerAuth({ verifier: createTokenVerifier({ secret }) }));
 * app.get('/api/me', (c) => c.json({ user_id: c.var.user.userId }));
 * ```
 */
export function bearerAuth({
  verifier,
  session = false,
  guests = false,
}: BearerAuthOptions): MiddlewareHandler<AuthEnv> {
  if (typeof verifier?.verify !== 'function') throw new TypeError('bearerAuth needs a verifier');
  return async function bearerAuth(c, next) {
    const token = session ? requestToken(c) : tokenFromRequest(c.req.url, c.req.raw.headers);
    // Only a request without any credential is a guest's; a malformed one is still refused.
    const bare = token === undefined && !c.req.raw.headers.has('authorization');
    c.set('user', bare && guests ? GUEST : await verifier.verify(token));
    await next();
  };
}
