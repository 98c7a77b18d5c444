/**
 * @module
 * The signed internal endpoints of a transfer participant (see `transfers.ts`): the gateway,
 * as coordinator, calls prepare-source, prepare-dest, commit-dest, commit-source and abort;
 * every one may be repeated. Signing is checked by the `/internal/*` middleware of
 * `routes-internal.ts`.
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import type { ServerEnv } from './context.ts';
import type { Participant } from './transfers.ts';

const TransferParams = z.object({ id: z.string().uuid() });
const Payload = z.record(z.string(), z.unknown()).openapi('EntityPayload');
const Answer = z.record(z.string(), z.unknown()).openapi('TransferStepAnswer');

function step<B extends z.ZodType>(
  name: string,
  summary: string,
  body: B,
  codes: Array<400 | 403 | 404 | 409>,
) {
  return createRoute({
    method: 'post',
    path: `/internal/transfers/{id}/${name}`,
    tags: ['internal', 'transfers'],
    summary,
    request: {
      params: TransferParams,
      body: { required: true, content: { 'application/json': { schema: body } } },
    },
    responses: {
      200: { description: 'done (or done before)', content: { 'application/json': { schema: Answer } } },
      ...problemResponses(401, ...codes),
    },
  });
}

const prepareSourceRoute = step(
  'prepare-source',
  'Hold a fish out of its tank for a transfer (reserved, not deleted)',
  z
    .object({
      tank_id: z.string().uuid(),
      entity_id: z.number().int().nonnegative().optional(),
      entity_uid: z.string().min(1).max(100).optional(),
    })
    .strict()
    .refine(
      (b) => b.entity_id !== undefined || b.entity_uid !== undefined,
      'entity_id or entity_uid is needed',
    ),
  [400, 403, 404, 409],
);
const prepareDestRoute = step(
  'prepare-dest',
  'Hold room in a tank for an arriving fish; 409 when the tank is full',
  z.object({ tank_id: z.string().uuid(), payload: Payload }).strict(),
  [400, 403, 404, 409],
);
const commitDestRoute = step(
  'commit-dest',
  'Put the arriving fish in the tank with its uid; a repeat is a no-op',
  z.object({ tank_id: z.string().uuid(), entity_uid: z.string().min(1).max(100) }).strict(),
  [400, 404, 409],
);
const commitSourceRoute = step(
  'commit-source',
  'Drop the held fish for good; a repeat is a no-op',
  z.object({}).strict(),
  [400],
);
const abortRoute = step(
  'abort',
  'Put a held fish back and free held room; a repeat is a no-op',
  z.object({}).strict(),
  [400, 404, 409],
);

const reservationsRoute = createRoute({
  method: 'get',
  path: '/internal/transfers/reservations',
  tags: ['internal', 'transfers'],
  summary: "This server's open reservations and every fish uid of its tanks (for the audit)",
  responses: {
    200: {
      description: 'open reservations',
      content: {
        'application/json': {
          schema: z.object({
            server_id: z.string(),
            reservations: z.array(
              z.object({
                transfer_id: z.string(),
                tank_id: z.string(),
                role: z.enum(['source', 'dest']),
                entity_uid: z.string(),
                created_at: z.string(),
              }),
            ),
            tanks: z.array(z.object({ tank_id: z.string(), uids: z.array(z.string()) })),
          }),
        },
      },
    },
    ...problemResponses(401),
  },
});

export function registerTransferRoutes(
  app: OpenAPIHono<ServerEnv>,
  serverId: string,
  participant: Participant,
): void {
  app.openapi(prepareSourceRoute, async (c) => {
    const b = c.req.valid('json');
    const done = await participant.prepareSource({
      transferId: c.req.valid('param').id,
      tankId: b.tank_id,
      entityId: b.entity_id,
      entityUid: b.entity_uid,
    });
    return c.json(done, 200);
  });
  app.openapi(prepareDestRoute, async (c) => {
    const b = c.req.valid('json');
    return c.json(
      await participant.prepareDest({
        transferId: c.req.valid('param').id,
        tankId: b.tank_id,
        payload: b.payload,
      }),
      200,
    );
  });
  app.openapi(commitDestRoute, async (c) => {
    const b = c.req.valid('json');
    return c.json(
      await participant.commitDest({
        transferId: c.req.valid('param').id,
        tankId: b.tank_id,
        entityUid: b.entity_uid,
      }),
      200,
    );
  });
  app.openapi(commitSourceRoute, async (c) =>
    c.json(await participant.commitSource({ transferId: c.req.valid('param').id }), 200),
  );
  app.openapi(abortRoute, async (c) =>
    c.json(await participant.abort({ transferId: c.req.valid('param').id }), 200),
  );
  app.openapi(reservationsRoute, async (c) => {
    const reservations = await participant.list();
    return c.json(
      {
        server_id: serverId,
        reservations: reservations.map((r) => ({
          transfer_id: r.transferId,
          tank_id: r.tankId,
          role: r.role,
          entity_uid: r.entityUid,
          created_at: r.createdAt.toISOString(),
        })),
        tanks: participant.census(),
      },
      200,
    );
  });
}
