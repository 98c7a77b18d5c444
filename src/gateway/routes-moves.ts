/**
 * @module
 * `POST /api/tanks/{id}/move` (the tank's admin: a live move, to `server_id` or where placement
 * says; answers the new location like the lookup) and `POST /api/servers/{id}/drain` (operator:
 * every tank off one server, streamed as NDJSON progress lines). A move counts as a creation for
 * the rate limits (it places a tank); a retry with the same `Idempotency-Key` from the same user
 * within ten minutes gets the first answer instead of a second move.
 */
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import type { LiveMover } from './live-move.ts';
import { LookupSchema, lookupView, TankIdParams } from './views.ts';

const MoveBody = z
  .object({
    server_id: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'The destination; placement chooses when absent' }),
  })
  .strict()
  .openapi('MoveTank');

const moveRoute = createRoute({
  method: 'post',
  path: '/api/tanks/{id}/move',
  tags: ['tanks'],
  summary: 'Move a tank to another server, live: its fish, frame and viewers go along (admin)',
  description:
    "Body (optional, `MoveTank`): `{server_id}`. The viewers get `{type:'moved', websocket_url}` and close code 4307, then reconnect there. `server_id` malformed or the tank's own server: 422; unknown or unhealthy: 409.",
  request: {
    params: TankIdParams,
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
  },
  responses: {
    200: {
      description: 'moved; where it runs now',
      content: { 'application/json': { schema: LookupSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 422, 429, 502, 503, 504),
  },
});

const drainRoute = createRoute({
  method: 'post',
  path: '/api/servers/{id}/drain',
  tags: ['meta'],
  summary: 'Move every tank off one server, live (operator scope); NDJSON progress, one line per tank',
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(100)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: {
    200: {
      description: 'one JSON line per tank, then a summary line',
      content: { 'application/x-ndjson': { schema: z.string() } },
    },
    ...problemResponses(401, 403, 404),
  },
});

/**
 * The optional body, read by hand: a client that sends `content-type: application/json` with no
 * body at all (fetch wrappers do) means "no destination", not malformed JSON.
 */
async function moveBody(c: Context<GatewayEnv>): Promise<z.infer<typeof MoveBody>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError('malformed_json', 'Malformed JSON in request body');
  }
  const parsed = MoveBody.safeParse(json);
  if (!parsed.success)
    throw new ApiError(
      'invalid_request',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

/** Remembered answers of moves with an Idempotency-Key, per user and key. */
function idempotentAnswers({ ttlMs = 600_000, max = 10_000 } = {}) {
  const answers = new Map<string, { at: number; body: Promise<unknown> }>();
  return function once(user: string, key: string | undefined, run: () => Promise<unknown>): Promise<unknown> {
    if (key === undefined) return run();
    const id = `${user}\u0000${key}`;
    const now = Date.now();
    const held = answers.get(id);
    if (held && now - held.at < ttlMs) return held.body;
    if (answers.size >= max) answers.clear();
    const body = run();
    answers.set(id, { at: now, body });
    // A failed move may be retried with the same key.
    body.catch(() => answers.delete(id));
    return body;
  };
}

export function registerMoveRoutes(
  app: OpenAPIHono<GatewayEnv>,
  ctx: GatewayContext,
  mover: LiveMover,
): void {
  const once = idempotentAnswers();
  app.openAPIRegistry.register('MoveTank', MoveBody);

  app.openapi(moveRoute, async function moveTank(c) {
    const tankId = c.req.valid('param').id;
    const body = await moveBody(c);
    const record = await authorizedTank(ctx, c, tankId, 'admin');
    const answer = await once(c.var.user.userId, c.req.valid('header')['idempotency-key'], async () => {
      const { server, moved } = await mover.move(record, { to: body.server_id });
      const current = (await ctx.cache.get(tankId)) ?? { ...record, serverId: moved.to, epoch: moved.epoch };
      return lookupView(current, server);
    });
    return c.json(answer as z.infer<typeof LookupSchema>, 200);
  });

  app.openapi(drainRoute, async function drainServer(c: Context<GatewayEnv>) {
    const serverId = c.req.param('id') as string;
    if (!ctx.directory.get(serverId)) throw new ApiError('not_found', `no server ${serverId}`);
    c.header('content-type', 'application/x-ndjson');
    return stream(c, async (out) => {
      // Writes queue in order on the stream; each line goes out as its move ends.
      const summary = await mover.drain(serverId, (step) => {
        void out.write(`${JSON.stringify({ server_id: serverId, ...step })}\n`);
      });
      await out.write(`${JSON.stringify({ server_id: serverId, done: true, ...summary })}\n`);
    }) as never;
  });
}
