/**
 * @module
 * `POST /internal/transfers/steps`: many participant steps in one signed call. The gateway
 * sends every step bound for this server that concurrent transfers ask for at the same moment
 * together, because signing and checking one call costs more CPU than the step itself. Each
 * step runs at once (the participant keeps steps of one transfer in order) and gets the answer
 * its single-step route would give: 200 and its body, or its problem+json with that status.
 */
import { createRoute, type OpenAPIHono, problemResponses, toProblem, z } from '../../http/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { ServerEnv } from '../context.ts';
import type { Participant } from './participant.ts';
import { runStep, STEP_BODIES, type StepName } from './steps.ts';

/** Most steps one call may carry (the gateway sends fewer: its bodies must fit the body limit). */
export const MAX_STEPS = 256;

function item<N extends StepName>(step: N) {
  return z
    .object({ transfer_id: z.string().uuid(), step: z.literal(step), body: STEP_BODIES[step] })
    .strict();
}

const StepsBody = z
  .object({
    steps: z
      .array(
        z.discriminatedUnion('step', [
          item('prepare-source'),
          item('prepare-dest'),
          item('commit-dest'),
          item('commit-source'),
          item('abort'),
        ]),
      )
      .min(1)
      .max(MAX_STEPS),
  })
  .strict()
  .openapi('TransferSteps');

const StepResult = z
  .object({
    status: z.number().int(),
    body: z.record(z.string(), z.unknown()),
  })
  .openapi('TransferStepResult');

const stepsRoute = createRoute({
  method: 'post',
  path: '/internal/transfers/steps',
  tags: ['internal', 'transfers'],
  summary: `Run up to ${MAX_STEPS} transfer steps at once; each result is what its single-step route would answer`,
  request: { body: { required: true, content: { 'application/json': { schema: StepsBody } } } },
  responses: {
    200: {
      description: 'one result per step, in order: 200 and the answer, or the problem (e.g. 404, 409)',
      content: { 'application/json': { schema: z.object({ results: z.array(StepResult) }) } },
    },
    ...problemResponses(400, 401, 413),
  },
});

export interface TransferStepsRouteOptions {
  participant: Participant;
  /** Where a step's unexpected failure is logged, as the app's `onError` logs a route's. */
  logger: Logger;
}

export function registerTransferStepsRoute(
  app: OpenAPIHono<ServerEnv>,
  { participant, logger }: TransferStepsRouteOptions,
): void {
  app.openapi(stepsRoute, async (c) => {
    const { steps } = c.req.valid('json');
    const results = await Promise.all(
      steps.map((s) =>
        runStep(participant, s.transfer_id, s).then(
          (body) => ({ status: 200, body: body as Record<string, unknown> }),
          (err: unknown) => {
            const problem = toProblem(err);
            if (problem.status >= 500)
              logger.error({ err, transfer_id: s.transfer_id, step: s.step }, 'transfer step failed');
            return { status: problem.status, body: problem };
          },
        ),
      ),
    );
    return c.json({ results }, 200);
  });
}
