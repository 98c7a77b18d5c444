/**
 * @module
 * `GET /api/lineages/{lineage_id}`: how many members of a family live now, in which tanks and on
 * which servers, counting only tanks the caller may read (a private tank's members are not
 * revealed to others). The gateway keeps no index: it asks every healthy server's
 * `/internal/lineages/{id}` (signed), at most `LINEAGE_FANOUT` at once, each within
 * `LINEAGE_TIMEOUT_MS`. The cost is one small request per healthy server and, on each, one pass
 * over its fish; a server that does not answer in time is listed in `unreachable` and the answer
 * is what the others said.
 */
import { eachLimited } from '../batch/index.ts';
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { LineageId, ServerLineage } from '../migrating/index.ts';
import type { ServerClient } from '../server-client/index.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';

export const LINEAGE_FANOUT = 8;
export const LINEAGE_TIMEOUT_MS = 3000;

const Count = z.number().int().min(1);
const LineageSchema = z
  .object({
    lineage_id: z.string(),
    founder_uid: z.string(),
    living: z.number().int().min(0),
    tanks: z.array(z.object({ tank_id: z.string(), server_id: z.string(), count: Count })),
    servers: z.array(z.object({ server_id: z.string(), count: Count })),
    /** Healthy servers that did not answer in time: their members are not counted. */
    unreachable: z.array(z.string()),
  })
  .openapi('Lineage');

const lineageRoute = createRoute({
  method: 'get',
  path: '/api/lineages/{lineage_id}',
  tags: ['lineages'],
  summary: "A lineage (its founder's uid): living members per tank and per server, in tanks you may read",
  request: {
    params: z.object({
      lineage_id: LineageId.openapi({ param: { name: 'lineage_id', in: 'path' }, example: 'a1b2.3f' }),
    }),
  },
  responses: {
    200: { description: 'the lineage', content: { 'application/json': { schema: LineageSchema } } },
    ...problemResponses(400, 401, 404, 429),
  },
});

async function askServer(client: ServerClient, serverId: string, lineageId: string): Promise<ServerLineage> {
  const response = await client.send(serverId, {
    method: 'GET',
    path: `/internal/lineages/${encodeURIComponent(lineageId)}`,
    signed: true,
    timeoutMs: LINEAGE_TIMEOUT_MS,
  });
  if (!response.ok) throw new Error(`server ${serverId} answered ${response.status}`);
  return ServerLineage.parse(await response.json());
}

export function registerLineageRoutes(
  app: OpenAPIHono<GatewayEnv>,
  { ctx, client }: { ctx: GatewayContext; client: ServerClient },
): void {
  app.openapi(lineageRoute, async (c) => {
    const { lineage_id } = c.req.valid('param');
    const user = c.var.user;
    const answers: ServerLineage[] = [];
    const unreachable: string[] = [];
    await eachLimited(ctx.directory.healthy(), { limit: LINEAGE_FANOUT }, async ({ serverId }) => {
      try {
        answers.push(await askServer(client, serverId, lineage_id));
      } catch (err) {
        unreachable.push(serverId);
        ctx.logger.warn(
          { server_id: serverId, err: (err as Error).message },
          'lineage: a server did not answer',
        );
      }
    });
    const tanks: Array<{ tank_id: string; server_id: string; count: number }> = [];
    for (const answer of answers) {
      for (const t of answer.tanks) {
        const record = await ctx.cache.get(t.tank_id);
        if (!record || (await ctx.access.levelOf(user, record)) === undefined) continue;
        tanks.push({ tank_id: t.tank_id, server_id: answer.server_id, count: t.count });
      }
    }
    const living = tanks.reduce((sum, t) => sum + t.count, 0);
    if (living === 0 && !answers.some((a) => a.seen)) {
      throw new ApiError('lineage_not_found', `no member of lineage ${lineage_id} lives, and none was seen`);
    }
    const perServer = new Map<string, number>();
    for (const t of tanks) perServer.set(t.server_id, (perServer.get(t.server_id) ?? 0) + t.count);
    tanks.sort((a, b) => b.count - a.count || a.tank_id.localeCompare(b.tank_id));
    const servers = [...perServer]
      .map(([server_id, count]) => ({ server_id, count }))
      .sort((a, b) => b.count - a.count || a.server_id.localeCompare(b.server_id));
    return c.json(
      { lineage_id, founder_uid: lineage_id, living, tanks, servers, unreachable: unreachable.sort() },
      200,
    );
  });
}
