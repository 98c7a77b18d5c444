/**
 * @module
 * Reading a header, and the bearer token, from either kind of request the auth code sees:
 * `fetch` requests (Hono) and Node's `IncomingMessage` (WebSocket upgrades, which bypass Hono).
 */

/** Headers as `fetch` has them, or as Node's `IncomingMessage` has them. */
export type RequestHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * The first value of a header; Node's headers object is keyed in lower case.
 *
 * @example
 * ```ts
 * headerValue(req.headers, 'upgrade'); // 'websocket'
 * ```
 */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
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
