/**
 * @module
 * The web app's session. The log-in form posts the pasted token once to `POST /api/session`,
 * which verifies it and keeps it in an HttpOnly, SameSite=Strict cookie; the gateway's bearer
 * auth then takes the cookie from the app's own pages. `GET /api/session` names the user (the
 * page cannot read the cookie), `DELETE /api/session` signs out. The viewer's WebSocket goes
 * straight to a tank server, which takes only a token in the URL: `GET /api/session/ws-token`
 * gives one that lives a minute, minted on the shared secret, or, when user tokens come from an
 * identity provider and the gateway can sign none, the session's own token.
 */
import { decodeJwt } from 'jose';
import {
  assertFromPage,
  endSession,
  requestToken,
  startSession,
  type TokenMinter,
  type TokenVerifier,
} from '../auth/index.ts';
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import type { GatewayEnv } from './context.ts';

/** How long a minted WebSocket token lives: enough to connect, since servers check it only then. */
const WS_TOKEN_SECONDS = 60;
const NO_STORE = { 'cache-control': 'no-store' };

const SessionSchema = z.object({ user_id: z.string(), expires_at: z.string() }).openapi('Session');
const SessionBody = z
  .object({ token: z.string().trim().min(1).max(4000) })
  .strict()
  .openapi('StartSession');
const WsTokenSchema = z.object({ token: z.string(), expires_at: z.string() }).openapi('WsToken');

const startRoute = createRoute({
  method: 'post',
  path: '/api/session',
  tags: ['session'],
  summary: 'Sign the web app in: verifies the token and sets the HttpOnly session cookie',
  // The page also sends `X-Requested-With: tankworld`; the handler checks it (403 without).
  request: { body: { required: true, content: { 'application/json': { schema: SessionBody } } } },
  responses: {
    200: { description: 'signed in', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

const showRoute = createRoute({
  method: 'get',
  path: '/api/session',
  tags: ['session'],
  summary: 'The signed-in user (the page cannot read its HttpOnly cookie)',
  responses: {
    200: { description: 'the session', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(401, 403),
  },
});

const endRoute = createRoute({
  method: 'delete',
  path: '/api/session',
  tags: ['session'],
  summary: 'Sign out: clears the session cookie',
  responses: { 204: { description: 'signed out' }, ...problemResponses(403) },
});

const wsTokenRoute = createRoute({
  method: 'get',
  path: '/api/session/ws-token',
  tags: ['session'],
  summary: "A short-lived token for the viewer's WebSocket to a tank server",
  responses: {
    200: { description: 'the token', content: { 'application/json': { schema: WsTokenSchema } } },
    ...problemResponses(401, 403),
  },
});

export interface SessionRoutesOptions {
  verifier: TokenVerifier;
  /** Absent when user tokens come from an identity provider: the gateway cannot sign them. */
  tokenMinter?: TokenMinter;
}

/** When a verified token expires (verification requires `exp`). */
function expiryOf(token: string): Date {
  return new Date((decodeJwt(token).exp ?? 0) * 1000);
}

export function registerSessionRoutes(
  app: OpenAPIHono<GatewayEnv>,
  { verifier, tokenMinter }: SessionRoutesOptions,
): void {
  app.openapi(startRoute, async function startSessionRoute(c) {
    // A cross-site form must not sign the user in as someone else (log-in CSRF).
    assertFromPage(c);
    const { token } = c.req.valid('json');
    const user = await verifier.verify(token);
    const expiresAt = expiryOf(token);
    startSession(c, token, expiresAt);
    return c.json({ user_id: user.userId, expires_at: expiresAt.toISOString() }, 200, NO_STORE);
  });

  app.openapi(showRoute, async function showSession(c) {
    const token = requestToken(c);
    const user = await verifier.verify(token);
    return c.json({ user_id: user.userId, expires_at: expiryOf(token!).toISOString() }, 200, NO_STORE);
  });

  app.openapi(endRoute, function endSessionRoute(c) {
    assertFromPage(c);
    endSession(c);
    return c.body(null, 204, NO_STORE);
  });

  app.openapi(wsTokenRoute, async function wsToken(c) {
    const token = requestToken(c);
    const user = await verifier.verify(token);
    const sessionEnds = expiryOf(token!);
    if (!tokenMinter) return c.json({ token: token!, expires_at: sessionEnds.toISOString() }, 200, NO_STORE);
    // Never outlives the session it comes from.
    const ttlSeconds = Math.max(
      1,
      Math.min(WS_TOKEN_SECONDS, Math.floor((sessionEnds.getTime() - Date.now()) / 1000)),
    );
    const minted = await tokenMinter.mint({ userId: user.userId, scopes: user.scopes, ttlSeconds });
    return c.json({ token: minted, expires_at: expiryOf(minted).toISOString() }, 200, NO_STORE);
  });
}
