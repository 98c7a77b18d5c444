/**
 * @module
 * `GET /internal/lineages/{lineage_id}`: how many of a lineage live in each tank running here,
 * for the gateway's `GET /api/lineages/{id}` (signed, like every internal route). One pass over
 * each tank's uid and lineage columns: O(fish on this server), no allocation per fish.
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { founderParts, LineageId, ServerLineage } from '../migrating/index.ts';
import type { ServerContext, ServerEnv } from './context.ts';

const lineageRoute = createRoute({
  method: 'get',
  path: '/internal/lineages/{lineage_id}',
  tags: ['internal'],
  summary: "A lineage's living members in each tank running here",
  request: {
    params: z.object({ lineage_id: LineageId.openapi({ param: { name: 'lineage_id', in: 'path' } }) }),
  },
  responses: {
    200: { description: 'members here', content: { 'application/json': { schema: ServerLineage } } },
    ...problemResponses(400, 401),
  },
});

/** Registered after the internal routes, behind their signature check. */
export function registerLineageRoute(app: OpenAPIHono<ServerEnv>, ctx: ServerContext): void {
  app.openapi(lineageRoute, (c) => {
    const { lineage_id } = c.req.valid('param');
    const founder = founderParts(lineage_id);
    const tanks: ServerLineage['tanks'] = [];
    let seen = false;
    for (const tank of ctx.host.list()) {
      const { fish, uidPrefix, nextUid } = tank.world;
      if (uidPrefix === founder.prefix && founder.n < nextUid) seen = true;
      let count = 0;
      for (let i = 0; i < fish.count; i++) if (fish.lineage[i] === lineage_id) count++;
      if (count > 0) tanks.push({ tank_id: tank.id, count });
    }
    return c.json({ lineage_id, server_id: ctx.serverId, seen: seen || tanks.length > 0, tanks }, 200);
  });
}
