/**
 * @module
 * Hono middleware that counts each request against a limit and answers 429 past it, and the
 * client address a request came from.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { rateLimitFields } from './errors.ts';
import type { LimitKind, Limits } from './limits.ts';

/**
 * The address of the peer that opened the connection (not a forwarded header: those are the
 * client's to forge). IPv4 clients on a dual-stack socket lose their `::ffff:` prefix. Undefined
 * for requests answered in-process (`app.request`), which are not limited by address.
 */
export function peerAddress(incoming: Pick<IncomingMessage, 'socket'> | undefined): string | undefined {
  const address = incoming?.socket?.remoteAddress;
  if (!address) return undefined;
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export function clientAddress(c: Context): string | undefined {
  return peerAddress((c.env as { incoming?: IncomingMessage } | undefined)?.incoming);
}

export interface LimitRequestsOptions {
  limits: Limits;
  kind?: LimitKind;
  /** Count against the caller's user (`c.var.user`, set by the auth before this). */
  byUser?: boolean;
  /** Count against the client address. */
  byAddress?: boolean;
  /** Only requests with this method are counted (`POST` for creations). */
  method?: string;
  /** Requests this says are not counted (signed calls from a gateway, health probes). */
  exempt?: (c: Context) => boolean;
}

/**
 * Counts the request; a spent allowance throws `rate_limited` for the app's `onError` (429,
 * problem+json, `Retry-After`, `RateLimit`, `RateLimit-Policy`). Counted answers carry the
 * `RateLimit` fields of the tighter allowance.
 *
 * @example
 * ```ts
 * app.use('*', limitRequests({ limits, byAddress: true }));
 * app.use('/api/*', bearerAuth({ verifier }), limitRequests({ limits, byUser: true }));
 * ```
 */
export function limitRequests({
  limits,
  kind = 'requests',
  byUser = false,
  byAddress = false,
  method,
  exempt = () => false,
}: LimitRequestsOptions): MiddlewareHandler {
  return async function limitRequests(c, next) {
    if ((method && c.req.method !== method) || exempt(c)) return next();
    const user = byUser ? (c.get('user') as { userId?: string } | undefined)?.userId : undefined;
    const address = byAddress ? clientAddress(c) : undefined;
    const state = await limits.take(kind, { user, address });
    await next();
    if (!state) return;
    const fields = rateLimitFields(state);
    try {
      c.res.headers.append('ratelimit-policy', fields.policy);
      c.res.headers.append('ratelimit', fields.limit);
    } catch {
      // An answer with immutable headers (a fetch Response passed through) goes without them.
    }
  };
}
