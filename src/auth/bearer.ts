/**
 * @module
 * Finding the caller's token on a request, and the Hono middleware that verifies it.
 */
import type { MiddlewareHandler } from 'hono';
import { headerValue, type RequestHeaders } from './headers.ts';
import type { AuthUser, TokenVerifier } from './jwt.ts';
import { requestToken } from './session.ts';

/** The Hono environment of routes behind `bearerAuth`: `c.var.user` is the caller. */
export interface AuthEnv {
  Variables: { user: AuthUser };
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The bearer token of a request: from `Authorization: Bearer …`, or, only on a WebSocket
 * upgrade (browsers cannot set headers there), from the `token` query parameter. Query
 * tokens are refused elsewhere because URLs end up in logs and histories.
 *
 * @example
 * ```ts
 * httpServer.on('upgrade', async (req, socket, head) => {
 *   const user = await verifier.verify(tokenFromRequest(req.url ?? '/', req.headers));
 * });
 * ```
 */
export function tokenFromRequest(url: string | URL, headers: RequestHeaders): string | undefined {
  const authorization = headerValue(headers, 'authorization');
  if (authorization !== undefined) return BEARER.exec(authorization)?.[1];
  if (headerValue(headers, 'upgrade')?.toLowerCase() !== 'websocket') return undefined;
  // Node gives upgrades a path-only URL; any base parses it.
  return new URL(url, 'http://localhost').searchParams.get('token') || undefined;
}

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /**
   * Also take the web app's session cookie when no Authorization header is given, from the
   * gateway's own pages only (see `requestToken` in `session.ts`). Off on the tank servers.
   */
  session?: boolean;
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
export function bearerAuth({ verifier, session = false }: BearerAuthOptions): MiddlewareHandler<AuthEnv> {
  if (typeof verifier?.verify !== 'function') throw new TypeError('bearerAuth needs a verifier');
  return async function bearerAuth(c, next) {
    const token = session ? requestToken(c) : tokenFromRequest(c.req.url, c.req.raw.headers);
    c.set('user', await verifier.verify(token));
    await next();
  };
}
