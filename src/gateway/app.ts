/**
 * @module
 * The gateway's HTTP app: every route declared once with its zod schemas (so `/openapi.json` is
 * generated), a span and a latency histogram per request, bearer auth (or the web app's session
 * cookie) on everything under `/api` and `/gateway`, and problem+json for every error.
 */
import type { MiddlewareHandler } from 'hono';
import {
  type AuthEnv,
  bearerAuth,
  isGuest,
  OPERATOR_SCOPE,
  requestToken,
  requireScope,
  type TokenMinter,
  type TokenVerifier,
} from '../auth/index.ts';
import { createApi, type OpenAPIHono, observe, WEB_APP_CSP } from '../http/index.ts';
import { limitRequests } from '../limits/index.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';
import { ARCHIVE_BODY, registerArchiveRoutes } from './routes-archive.ts';
import { registerConnectionRoutes } from './routes-connections.ts';
import { registerLookupRoutes } from './routes-lookup.ts';
import { registerMetaRoutes } from './routes-meta.ts';
import { registerMoveRoutes } from './routes-moves.ts';
import { registerPermissionRoutes } from './routes-permissions.ts';
import { registerPrometheusRoutes } from './routes-prometheus.ts';
import { registerSessionRoutes } from './routes-session.ts';
import { registerTankRoutes } from './routes-tanks.ts';

export interface GatewayAppOptions {
  ctx: GatewayContext;
  verifier: TokenVerifier;
  /** Mints the viewer's short-lived WebSocket tokens; absent with an identity provider. */
  tokenMinter?: TokenMinter;
}

/**
 * Auth for the event stream: the header or the session cookie as everywhere, or the `token`
 * query parameter for clients without either, because EventSource cannot set headers (the same
 * trade-off as the WebSocket's `?token=`). The web app uses the cookie.
 */
function streamAuth(verifier: TokenVerifier): MiddlewareHandler<AuthEnv> {
  return async function streamAuth(c, next) {
    const token = requestToken(c) ?? c.req.query('token') ?? undefined;
    c.set('user', await verifier.verify(token));
    await next();
  };
}

/** `guest` for GET and HEAD (a request without any credential reads as `GUEST`), `auth` otherwise. */
function readsAsGuest(
  auth: MiddlewareHandler<AuthEnv>,
  guest: MiddlewareHandler<AuthEnv>,
): MiddlewareHandler<AuthEnv> {
  return function readsAsGuest(c, next) {
    return c.req.method === 'GET' || c.req.method === 'HEAD' ? guest(c, next) : auth(c, next);
  };
}

/**
 * @example
 * ```ts
 * const app = createGatewayApp({ ctx, verifier });
 * const res = await app.request('/gateway/tanks/' + id, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function createGatewayApp({ ctx, verifier, tokenMinter }: GatewayAppOptions): OpenAPIHono<GatewayEnv> {
  // The gateway serves the web app beside the API, so every answer carries the app's policy.
  const app = createApi<GatewayEnv>({
    logger: ctx.logger,
    contentSecurityPolicy: WEB_APP_CSP,
    largeBodies: [ARCHIVE_BODY],
  });
  app.use(
    '*',
    observe({
      registry: ctx.registry,
      name: 'tankworld_gateway',
      logger: ctx.logger,
      accessLogLevel: ctx.accessLogLevel,
    }),
  );
  const { limits } = ctx;
  // Every client address first (floods without a valid token too), then each user once known.
  app.use('*', limitRequests({ limits, byAddress: true }));
  // The web app's calls carry the session cookie instead of a header (from its own pages only).
  const auth = bearerAuth({ verifier, session: true });
  // A first visit without signing in reads what is public: the tank list, lookups, the servers.
  const reads = readsAsGuest(auth, bearerAuth({ verifier, session: true, guests: true }));
  app.use('/gateway/*', reads);
  app.use('/api/tanks', reads);
  app.use('/api/tanks/*', reads);
  app.use('/api/servers', reads);
  app.use('/api/connections', reads);
  app.use('/api/servers/:id/drain', auth, requireScope({ scope: OPERATOR_SCOPE }));
  app.use('/api/archives', auth);
  app.use('/api/events', streamAuth(verifier));
  registerSessionRoutes(app, { verifier, tokenMinter });
  // Guests share no user: their address is what is counted.
  const perUser = limitRequests({ limits, byUser: true, exempt: (c) => isGuest(c.get('user')) });
  app.use('/api/*', perUser);
  app.use('/gateway/*', perUser);
  app.use(
    '/api/tanks',
    limitRequests({ limits, kind: 'creates', byUser: true, byAddress: true, method: 'POST' }),
  );
  // A move places a tank, as a creation does: it counts against the same allowance.
  app.use(
    '/api/tanks/:id/move',
    limitRequests({ limits, kind: 'creates', byUser: true, byAddress: true, method: 'POST' }),
  );
  app.use(
    '/gateway/transfer',
    limitRequests({ limits, kind: 'transfers', byUser: true, byAddress: true, method: 'POST' }),
  );
  registerLookupRoutes(app, ctx);
  registerArchiveRoutes(app, ctx);
  registerTankRoutes(app, ctx);
  registerConnectionRoutes(app, ctx);
  registerMoveRoutes(app, ctx, ctx.mover);
  registerPermissionRoutes(app, ctx);
  registerMetaRoutes(app, ctx);
  registerPrometheusRoutes(app, ctx);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Tank World Net — gateway', version: ctx.version },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  return app;
}
