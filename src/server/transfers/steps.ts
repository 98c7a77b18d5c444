/**
 * @module
 * The five participant steps of a transfer as the wire names them: the body each one takes and
 * the participant function it runs. The single-step routes (`routes.ts`) and the
 * batch route (`routes-steps.ts`) both go through `runStep`, so a step does the same
 * thing, and is validated the same way, whichever way it arrives.
 */
import { z } from '../../http/index.ts';
import type { Participant } from './participant.ts';

const Payload = z.record(z.string(), z.unknown()).openapi('EntityPayload');

/** The body of each step, by the step's name (the last segment of its single-step path). */
export const STEP_BODIES = {
  'prepare-source': z
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
  'prepare-dest': z.object({ tank_id: z.string().uuid(), payload: Payload }).strict(),
  'commit-dest': z.object({ tank_id: z.string().uuid(), entity_uid: z.string().min(1).max(100) }).strict(),
  'commit-source': z.object({}).strict(),
  abort: z.object({}).strict(),
};

export type StepName = keyof typeof STEP_BODIES;

/** One step with its validated body; `step` tells which body it is. */
export type StepCall = {
  [N in StepName]: { step: N; body: z.infer<(typeof STEP_BODIES)[N]> };
}[StepName];

/**
 * Runs one step of transfer `transferId`; rejects with the participant's error (an `ApiError`
 * or a store error with a stable code), which the caller turns into problem+json.
 *
 * @example
 * ```ts
 * const held = await runStep(participant, transferId, { step: 'prepare-source', body: { tank_id, entity_id: 3 } });
 * ```
 */
export async function runStep(participant: Participant, transferId: string, call: StepCall): Promise<object> {
  switch (call.step) {
    case 'prepare-source':
      return participant.prepareSource({
        transferId,
        tankId: call.body.tank_id,
        entityId: call.body.entity_id,
        entityUid: call.body.entity_uid,
      });
    case 'prepare-dest':
      return participant.prepareDest({ transferId, tankId: call.body.tank_id, payload: call.body.payload });
    case 'commit-dest':
      return participant.commitDest({
        transferId,
        tankId: call.body.tank_id,
        entityUid: call.body.entity_uid,
      });
    case 'commit-source':
      return participant.commitSource({ transferId });
    case 'abort':
      return participant.abort({ transferId });
  }
}
