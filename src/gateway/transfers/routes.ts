/**
 * @module
 * Transfer routes of the gateway: `POST /gateway/transfer` (a public contract, with an
 * `Idempotency-Key` header or body field), `GET /api/transfers/:id` with its events,
 * `GET /api/transfers?tank=` and `GET /api/audit`.
 */

import type { Coordinator, Participants } from '../../coordinator/index.ts';
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../../http/index.ts';
import { getTransfer, listTransfersByTank, type Transfer, type TransferEvent } from '../../store/index.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from '../context.ts';
import { runAudit } from './audit.ts';

const TransferBody = z
  .object({
    source_tank_id: z.string().uuid(),
    dest_tank_id: z.string().uuid(),
    entity_id: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 31),
    entity_type: z.literal('fish').default('fish'),
    idempotency_key: z.string().min(1).max(200).optional(),
  })
  .strict()
  .openapi('TransferRequest');

const TransferResult = z
  .object({
    success: z.boolean(),
    transfer_id: z.string(),
    old_id: z.number().int(),
    new_id: z.number().int().nullable(),
    entity_uid: z.string(),
    source_server: z.string(),
    dest_server: z.string(),
    timestamp: z.string(),
  })
  .openapi('TransferResult');

const Record = z.record(z.string(), z.unknown());

const transferRoute = createRoute({
  method: 'post',
  path: '/gateway/transfer',
  tags: ['transfers'],
  summary:
    'Move a fish to another tank (two-phase commit); retries with one Idempotency-Key get the first answer',
  description:
    "An Idempotency-Key is the caller's own: it is unique per user, so another user sending the same key gets their own transfer.",
  request: {
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
    body: { required: true, content: { 'application/json': { schema: TransferBody } } },
  },
  responses: {
    200: { description: 'moved', content: { 'application/json': { schema: TransferResult } } },
    ...problemResponses(400, 401, 403, 404, 409, 422, 503),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/api/transfers/{id}',
  tags: ['transfers'],
  summary: 'A transfer with its events (read on either tank)',
  request: { params: z.object({ id: z.string().uuid() }) },
  responses: {
    200: { description: 'the transfer', content: { 'application/json': { schema: Record } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/transfers',
  tags: ['transfers'],
  summary: 'Transfers from or to a tank, newest first (read)',
  request: {
    query: z.object({
      tank: z.string().uuid(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
  },
  responses: {
    200: { description: 'transfers', content: { 'application/json': { schema: Record } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const auditRoute = createRoute({
  method: 'get',
  path: '/api/audit',
  tags: ['transfers'],
  summary: 'Every fish uid across the network in exactly one tank or one open reservation (operator)',
  description:
    "Network-wide counts and the ids of every tank's fish and reservations, private ones included, so it is for operators only: the bearer token's `scope` claim must include `operator` (mint one with `tankworld token --user <name> --operator`); any other user gets 403. `tankworld audit` runs the same check from the database and the servers' internal API, with no token.",
  responses: {
    200: { description: 'the audit', content: { 'application/json': { schema: Record } } },
    ...problemResponses(401, 403),
  },
});

function transferView(t: Transfer, events?: TransferEvent[]) {
  return {
    transfer_id: t.transferId,
    idempotency_key: t.idempotencyKey,
    status: t.status,
    source_tank_id: t.sourceTankId,
    dest_tank_id: t.destTankId,
    source_server: t.sourceServer,
    dest_server: t.destServer,
    entity_id: t.entityId,
    entity_uid: t.entityUid,
    old_id: t.oldId,
    new_id: t.newId,
    error: t.error,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    ...(events
      ? {
          entity_payload: t.entityPayload,
          events: events.map((e) => ({
            event_id: e.eventId,
            event_type: e.eventType,
            event_data: e.eventData,
            created_at: e.createdAt.toISOString(),
          })),
        }
      : {}),
  };
}

export function registerTransferRoutes(
  app: OpenAPIHono<GatewayEnv>,
  {
    ctx,
    coordinator,
    participants,
  }: { ctx: GatewayContext; coordinator: Coordinator; participants: Participants },
): void {
  app.openapi(transferRoute, async (c) => {
    const body = c.req.valid('json');
    const header = c.req.valid('header')['idempotency-key'];
    if (header !== undefined && body.idempotency_key !== undefined && header !== body.idempotency_key) {
      throw new ApiError(
        'invalid_request',
        'the Idempotency-Key header and the idempotency_key field differ',
      );
    }
    if (body.source_tank_id === body.dest_tank_id) {
      throw new ApiError('same_tank', 'the source and destination tanks are the same tank');
    }
    const source = await authorizedTank(ctx, c, body.source_tank_id, 'write');
    const dest = await authorizedTank(ctx, c, body.dest_tank_id, 'write');
    for (const r of [source, dest]) {
      if (!r.serverId) throw new ApiError('unavailable', `tank ${r.tankId} runs on no server now`);
    }
    const answer = await coordinator.submit({
      request: {
        source_tank_id: body.source_tank_id,
        dest_tank_id: body.dest_tank_id,
        entity_id: body.entity_id,
        entity_type: body.entity_type,
      },
      key: header ?? body.idempotency_key,
      requestedBy: c.var.user.userId,
      sourceServer: source.serverId as string,
      destServer: dest.serverId as string,
    });
    if (answer.status === 200) return c.json(answer.body as z.infer<typeof TransferResult>, 200);
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/problem+json' },
    }) as never;
  });

  app.openapi(getRoute, async (c) => {
    const found = await getTransfer(ctx.db, c.req.valid('param').id);
    if (!found) throw new ApiError('not_found', `no transfer ${c.req.valid('param').id}`);
    const { transfer, events } = found;
    // Either tank's reader may see it; a tank deleted since only hides it from non-readers of the other.
    let allowed = false;
    for (const tankId of [transfer.sourceTankId, transfer.destTankId]) {
      const ok = await authorizedTank(ctx, c, tankId, 'read').then(
        () => true,
        () => false,
      );
      allowed ||= ok;
    }
    // A transfer between tanks the caller may not read is answered as one that does not exist.
    if (!allowed) throw new ApiError('not_found', `no transfer ${transfer.transferId}`);
    return c.json(transferView(transfer, events), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { tank, limit } = c.req.valid('query');
    await authorizedTank(ctx, c, tank, 'read');
    const transfers = await listTransfersByTank(ctx.db, tank, { limit });
    return c.json(
      { tank_id: tank, transfers: transfers.map((t) => transferView(t)), count: transfers.length },
      200,
    );
  });

  app.openapi(auditRoute, async (c) => {
    const serverIds = ctx.directory.healthy().map((s) => s.serverId);
    return c.json(await runAudit({ db: ctx.db, participants, serverIds }), 200);
  });
}
