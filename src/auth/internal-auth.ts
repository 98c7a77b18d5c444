/**
 * @module
 * Hono middleware that refuses internal routes to requests without a valid signature.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../http/index.ts';
import type { InternalVerifier } from './signing.ts';

export interface InternalAuthOptions {
  verifier: InternalVerifier;
}

/**
 * Verifies the signature of each request (throwing `InvalidSignatureError`). It reads the
 * body once through Hono's cached reader, so the route still gets it from `c.req.json()`,
 * `c.req.text()` or a validator. Put a body-size limit in front: the whole body is read.
 *
 * @example
 * ```ts
 * const internal = new Hono();
 * internal.use('*', bodyLimit({ maxSize: 1 << 20 }), internalAuth({ verifier }));
 * internal.post('/internal/tanks', async (c) => c.json(await createTank(await c.req.json()), 201));
 * ```
 */
export function internalAuth({ verifier }: InternalAuthOptions): MiddlewareHandler {
  if (typeof verifier?.verify !== 'function') throw new TypeError('internalAuth needs a verifier');
  return async function internalAuth(c, next) {
    let body: Uint8Array;
    try {
      body = new Uint8Array(await c.req.arrayBuffer());
    } catch (err) {
      // The caller went away mid-body: its doing, answered as a bad request (400), not a fault.
      throw new ApiError('invalid_request', 'the request body ended before it was complete', { cause: err });
    }
    const url = new URL(c.req.url);
    await verifier.verify({
      method: c.req.method,
      path: url.pathname + url.search,
      body,
      headers: c.req.raw.headers,
    });
    await next();
  };
}
