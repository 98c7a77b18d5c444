/**
 * @module
 * `GET /gateway/tanks/{tank_id}` → `{ tank, server, websocket_url }` (a public contract). The hot path of
 * the gateway: the record and the caller's level come from caches and the answer's JSON text is
 * kept per tank until the record or the server view changes, so a repeated lookup runs no query
 * and serialises nothing. `GET /api/tanks/{tank_id}/server` is the seed's shape of the same
 * answer (`{ server_id, host, port }`, as its option A client reads it), with the two ways to
 * watch: `websocket_url` straight at the server, `relay_url` through this gateway (option B).
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { tankUnavailable } from './proxy.ts';
import {
  LookupSchema,
  lookupView,
  ServerRefSchema,
  serverRef,
  TankIdParams,
  type TankRecord,
  websocketUrl,
} from './views.ts';

const lookupRoute = createRoute({
  method: 'get',
  path: '/gateway/tanks/{id}',
  tags: ['gateway'],
  summary: 'Where a tank runs: its server and the WebSocket URL to watch it (read)',
  request: { params: TankIdParams },
  responses: {
    200: {
      description: 'the tank and its server',
      content: { 'application/json': { schema: LookupSchema } },
    },
    ...problemResponses(401, 403, 404, 503),
  },
});

const TankServerSchema = ServerRefSchema.extend({
  websocket_url: z.string().openapi({ description: "The tank's own server's WebSocket (option A)" }),
  relay_url: z.string().openapi({ description: "This gateway's relay of the same stream (option B)" }),
}).openapi('TankServer');

const serverRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/server',
  tags: ['gateway'],
  summary: "The server a tank runs on, in the seed's shape, and both WebSocket URLs (read)",
  request: { params: TankIdParams },
  responses: {
    200: {
      description: "the tank's server",
      content: { 'application/json': { schema: TankServerSchema } },
    },
    ...problemResponses(401, 403, 404, 503),
  },
});

/** This gateway's own `/ws/<id>`, from the URL the request came in on (the client reached it so). */
function relayUrl(requestUrl: string, tankId: string): string {
  const url = new URL(`/ws/${encodeURIComponent(tankId)}`, requestUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function registerLookupRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  // Keyed by the record object: the cache puts a new one whenever the tank changes, so the
  // text of a replaced record is simply never found again (and collected).
  const bodies = new WeakMap<TankRecord, { version: number; text: string }>();

  app.openapi(lookupRoute, async function lookupTank(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'read');
    const serverId = record.serverId;
    if (serverId === null || !ctx.directory.isAvailable(serverId)) throw tankUnavailable(record);
    const version = ctx.directory.version;
    let body = bodies.get(record);
    if (body === undefined || body.version !== version) {
      body = { version, text: JSON.stringify(lookupView(record, ctx.directory.get(serverId)!)) };
      bodies.set(record, body);
    }
    return c.body(body.text, 200, JSON_HEADERS) as never;
  });

  app.openapi(serverRoute, async function tankServer(c) {
    const record = await authorizedTank(ctx, c, c.req.valid('param').id, 'read');
    const serverId = record.serverId;
    if (serverId === null || !ctx.directory.isAvailable(serverId)) throw tankUnavailable(record);
    const server = ctx.directory.get(serverId)!;
    return c.json(
      {
        ...serverRef(server),
        websocket_url: websocketUrl(server, record.tankId),
        relay_url: relayUrl(c.req.url, record.tankId),
      },
      200,
    );
  });
}
