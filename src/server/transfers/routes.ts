/**
 * @module
 * The signed internal endpoints of a transfer participant (see `participant.ts`): the gateway,
 * as coordinator, calls prepare-source, prepare-dest, commit-dest, commit-source and abort;
 * every one may be repeated. What each step takes and runs is in `steps.ts`; the batch
 * route that carries many steps in one call is `routes-steps.ts`. Signing is checked
 * by the `/internal/*` middleware of `routes-internal.ts`.
 *
 * The gateway sends every step through the batch route, never through the five single-step
 * routes below. They stay because each is one step as its own documented, signed endpoint: the
 * server's OpenAPI document describes each step's body and answers through them, and
 * `test/server/transfer-steps.test.ts` checks each batch result against what the single-step
 * route answers. Both run `runStep`, so they cannot drift apart. The census route
 * (`/internal/transfers/reservations`) is used: the gateway's audit reads it.
 */
import { createRoute, type OpenAPIHono, problemResponses, z } from '../../http/index.ts';
import type { ServerEnv } from '../context.ts';
import type { Participant } from './participant.ts';
import { runStep, STEP_BODIES, type StepName } from './steps.ts';

const TransferParams = z.object({ id: z.string().uuid() });
const Answer = z.record(z.string(), z.unknown()).openapi('TransferStepAnswer');

function step<N extends StepName>(name: N, summary: string, codes: Array<400 | 403 | 404 | 409>) {
  return createRoute({
    method: 'post',
    path: `/internal/transfers/{id}/${name}`,
    tags: ['internal', 'transfers'],
    summary,
    request: {
      params: TransferParams,
      body: { required: true, content: { 'application/json': { schema: STEP_BODIES[name] } } },
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
  [400, 403, 404, 409],
);
const prepareDestRoute = step(
  'prepare-dest',
  'Hold room in a tank for an arriving fish; 409 when the tank is full',
  [400, 403, 404, 409],
);
const commitDestRoute = step(
  'commit-dest',
  'Put the arriving fish in the tank with its uid; a repeat is a no-op',
  [400, 404, 409],
);
const commitSourceRoute = step('commit-source', 'Drop the held fish for good; a repeat is a no-op', [400]);
const abortRoute = step(
  'abort',
  'Put a held fish back and free held room; a repeat is a no-op',
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
    const call = { step: 'prepare-source', body: c.req.valid('json') } as const;
    return c.json(await runStep(participant, c.req.valid('param').id, call), 200);
  });
  app.openapi(prepareDestRoute, async (c) => {
    const call = { step: 'prepare-dest', body: c.req.valid('json') } as const;
    return c.json(await runStep(participant, c.req.valid('param').id, call), 200);
  });
  app.openapi(commitDestRoute, async (c) => {
    const call = { step: 'commit-dest', body: c.req.valid('json') } as const;
    return c.json(await runStep(participant, c.req.valid('param').id, call), 200);
  });
  app.openapi(commitSourceRoute, async (c) => {
    const call = { step: 'commit-source', body: c.req.valid('json') } as const;
    return c.json(await runStep(participant, c.req.valid('param').id, call), 200);
  });
  app.openapi(abortRoute, async (c) => {
    const call = { step: 'abort', body: c.req.valid('json') } as const;
    return c.json(await runStep(participant, c.req.valid('param').id, call), 200);
  });
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
