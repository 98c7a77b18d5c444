/**
 * @module
 * The tank server's side of two-phase-commit fish transfers (the gateway coordinates): the
 * participant (`participant.ts`, with the destination's half in `dest.ts`, the abort in
 * `abort.ts`, timeouts in `sweep.ts`), what a reservation holds and the journal replay after a
 * restore (`held.ts`), and the signed internal routes: the batch the gateway sends
 * (`routes-steps.ts`) and one route per step (`routes.ts`).
 */
export { type JournalStep, reconcileRestore, reconcileWorld, replayJournal } from './held.ts';
export {
  type CommittedDest,
  createParticipant,
  type Participant,
  type ParticipantOptions,
  type PreparedSource,
  type TransferOutcome,
} from './participant.ts';
export { registerTransferRoutes } from './routes.ts';
export { MAX_STEPS, registerTransferStepsRoute, type TransferStepsRouteOptions } from './routes-steps.ts';
