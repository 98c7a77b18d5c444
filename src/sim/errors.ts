/**
 * @module
 * The one error type the simulation throws on bad input, with stable codes the API layer maps to
 * HTTP statuses (invalid_* → 400, unknown_entity → 404, tank_full / duplicate_entity → 409).
 */
// Type-only: the web viewer bundles src/sim, and must not pull in the HTTP layer.
import type { ProblemCode } from '../http/index.ts';

/** Stable error codes; their string values are part of the public contract. */
export const SimErrorCode = {
  invalidOptions: 'invalid_options',
  invalidGenome: 'invalid_genome',
  invalidPosition: 'invalid_position',
  invalidPayload: 'invalid_payload',
  invalidSnapshot: 'invalid_snapshot',
  unknownEntity: 'unknown_entity',
  duplicateEntity: 'duplicate_entity',
  tankFull: 'tank_full',
} as const satisfies Record<string, ProblemCode>;

export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

/**
 * Thrown by every public function on bad input, before anything in the world changes.
 *
 * @example
 * ```ts
 * try {
 *   spawnFish(world, { genome: { speed: 9 } });
 * } catch (err) {
 *   if (err instanceof SimError && err.code === 'invalid_genome') reply(400, err.message);
 * }
 * ```
 */
export class SimError extends Error {
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string) {
    super(message);
    this.name = 'SimError';
    this.code = code;
  }
}
