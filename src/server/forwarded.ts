/**
 * @module
 * Requests a gateway forwards to this server carry the user's token and the gateway's internal
 * signature. A valid signature marks them as the gateway's: they are not counted against the
 * client-address limits (the address is the gateway's, shared by every user behind it; the
 * gateway counted the real client), while the user's own limits still apply. A signature that
 * does not verify (forged, replayed, stale) earns nothing: the request counts as a client's.
 * `/internal/*` checks its own signatures and refuses those.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { type InternalVerifier, SignatureHeader } from '../auth/index.ts';

export interface ForwardedByGateway {
  middleware: MiddlewareHandler;
  /** True for a request not to count per client address: signed, or an `/internal/*` call. */
  exempt(c: Context): boolean;
}

/**
 * @example
 * ```ts
 * const fromGateway = forwardedByGateway({ verifier: internalVerifier });
 * app.use('*', fromGateway.middleware);
 * app.use('*', limitRequests({ limits, byAddress: true, exempt: fromGateway.exempt }));
 * ```
 */
export function forwardedByGateway({ verifier }: { verifier: InternalVerifier }): ForwardedByGateway {
  const signed = new WeakSet<Request>();
  const internal = (c: Context) => c.req.path.startsWith('/internal/');
  return {
    async middleware(c, next) {
      // `/internal/*` checks its own signature (a second check would see the nonce replayed).
      if (!internal(c) && c.req.header(SignatureHeader.signature) !== undefined) {
        const url = new URL(c.req.url);
        const verified = await verifier
          .verify({
            method: c.req.method,
            path: url.pathname + url.search,
            body: new Uint8Array(await c.req.arrayBuffer()),
            headers: c.req.raw.headers,
          })
          .then(
            () => true,
            () => false,
          );
        if (verified) signed.add(c.req.raw);
      }
      await next();
    },
    exempt: (c) => internal(c) || signed.has(c.req.raw),
  };
}
