/**
 * @module
 * Reading a header from either kind of request the auth code sees: `fetch` requests (Hono)
 * and Node's `IncomingMessage` (WebSocket upgrades, which bypass Hono).
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
