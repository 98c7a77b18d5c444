/**
 * @module
 * The security headers every answer carries, through Hono's `secureHeaders`: a
 * Content-Security-Policy, `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and
 * `X-Frame-Options: DENY` (with `frame-ancestors 'none'` for browsers that read only the CSP).
 * There are two policies: the gateway's lets the built web app run, a tank server's allows
 * nothing, since it serves only JSON and frames.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Hono's CSP options (`scriptSrc: ["'self'"]` …), which its package does not export by name. */
export type ContentSecurityPolicyOptions = NonNullable<
  NonNullable<Parameters<typeof secureHeaders>[0]>['contentSecurityPolicy']
>;

/**
 * For the web app (`web/dist`): its own module scripts, stylesheets and API calls, pictures
 * from itself and `data:` URLs (canvas snapshots, small assets Vite inlines), and WebSockets to
 * any host, because the viewer connects straight to the tank's server on another host or port
 * (the set changes as servers come and go). No inline script, no plugin, no `<base>`, no framing.
 */
export const WEB_APP_CSP: ContentSecurityPolicyOptions = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** For answers that are only data (JSON, metrics): a browser that renders one runs nothing. */
export const API_CSP: ContentSecurityPolicyOptions = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

export interface SecurityHeadersOptions {
  contentSecurityPolicy?: ContentSecurityPolicyOptions;
}

/**
 * Hono's `secureHeaders` with our choices. It sets the headers after the handler has run, so
 * error answers (problem+json from `onError`, the 404) carry them too. HSTS is left to the
 * TLS-terminating proxy: the processes themselves speak plain HTTP.
 *
 * @example
 * ```ts
 * app.use('*', securityHeaders({ contentSecurityPolicy: WEB_APP_CSP }));
 * ```
 */
export function securityHeaders({
  contentSecurityPolicy = API_CSP,
}: SecurityHeadersOptions = {}): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    xContentTypeOptions: true,
    strictTransportSecurity: false,
  });
}
