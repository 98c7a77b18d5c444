/**
 * @module
 * `GET /gateway/tanks/{tank_id}` → `{ tank, server, websocket_url }` (a public contract). The hot path of
 * the gateway: the record and the caller's level come from caches and the answer's JSON text is
 * kept per tank until the record or the server view changes, so a repeated lookup runs no query
 * and serialises nothing.
 */
import { createRoute, type OpenAPIHono, problemResponses } from '../http/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { tankUnavailable } from './proxy.ts';
import { LookupSchema, lookupView, TankIdParams, type TankRecord } from './views.ts';

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
}
