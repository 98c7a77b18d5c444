/**
 * @module
 * The web app's session: the user's token kept in an HttpOnly, SameSite=Strict cookie, so no
 * script on the page can read it and no other site can send it. A cookie rides along with every
 * request the browser makes to the gateway, so it is taken only from the gateway's own pages:
 * not when the browser says the request comes from another site or origin (`Sec-Fetch-Site`),
 * and, for methods that change something, only with `X-Requested-With: tankworld`, which a
 * form or a simple cross-site request cannot send (a cross-origin one would need CORS, which
 * the gateway does not grant).
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { parse } from 'hono/utils/cookie';
import { CsrfRefusedError } from './errors.ts';
import { tokenFromRequest } from './headers.ts';

/** Name of the cookie that holds the session's token. */
export const SESSION_COOKIE = 'tankworld_session';
/** The header the web app sends with every call, and its value. */
export const PAGE_HEADER = 'x-requested-with';
export const PAGE_HEADER_VALUE = 'tankworld';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `Sec-Fetch-Site` values of requests from the gateway's own pages (`none`: typed by the user). */
const OWN_SITES = new Set(['same-origin', 'none']);

/**
 * Throws `CsrfRefusedError` unless the request may come from the gateway's own page. Browsers
 * too old to send `Sec-Fetch-Site` still have SameSite=Strict and the page header to stop them.
 *
 * @example
 * ```ts
 * app.delete('/api/session', (c) => { assertFromPage(c); endSession(c); return c.body(null, 204); });
 * ```
 */
export function assertFromPage(c: Context): void {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && !OWN_SITES.has(site))
    throw new CsrfRefusedError(`a session cookie is not taken from a ${site} request`);
  if (!SAFE_METHODS.has(c.req.method) && c.req.header(PAGE_HEADER) !== PAGE_HEADER_VALUE)
    throw new CsrfRefusedError();
}

/**
 * The caller's token: the Authorization header's when there is one (even a malformed one, which
 * then fails), the session cookie's otherwise (checked with `assertFromPage`).
 *
 * @example
 * ```ts
 * const user = await verifier.verify(requestToken(c));
 * ```
 */
export function requestToken(c: Context): string | undefined {
  const headers = c.req.raw.headers;
  if (headers.has('authorization')) return tokenFromRequest(c.req.url, headers);
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return tokenFromRequest(c.req.url, headers);
  assertFromPage(c);
  return token;
}

/**
 * The `Authorization` value to pass on for a request that `bearerAuth({ session: true })` has
 * let in: its own header, or a bearer header made from its session cookie (the tank servers
 * behind the gateway know no cookies). Undefined when the request has neither.
 *
 * @example
 * ```ts
 * const authorization = forwardedAuthorization(c.req.raw.headers);
 * if (authorization) headers.authorization = authorization;
 * ```
 */
export function forwardedAuthorization(headers: Headers): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== null) return authorization;
  const token = parse(headers.get('cookie') ?? '', SESSION_COOKIE)[SESSION_COOKIE];
  return token ? `Bearer ${token}` : undefined;
}

/** True when the page was loaded over https (directly, or through a TLS-terminating proxy). */
function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/**
 * Sets the session cookie to `token` until `expiresAt` (the token's own `exp`): HttpOnly,
 * SameSite=Strict, for the whole gateway, and Secure when the page came over https.
 *
 * @example
 * ```ts
 * startSession(c, token, new Date(exp * 1000));
 * ```
 */
export function startSession(c: Context, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: overHttps(c),
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)),
  });
}

/** Clears the session cookie. */
export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overHttps(c), httpOnly: true, sameSite: 'Strict' });
}
