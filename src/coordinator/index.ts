/**
 * @module
 * The two-phase-commit coordinator of fish transfers (`coordinator.ts`, its commit and abort in
 * `phases.ts`) and the participants it drives on tank servers (`participants.ts`, batched,
 * signed steps). The gateway runs one for `POST /gateway/transfer` and its recovery; a tank
 * server runs one for the transfers its tubes start. Its log is the `transfers` table.
 */
export {
  type Coordinator,
  type CoordinatorOptions,
  createCoordinator,
  requestHash,
  type TransferAnswer,
  type TransferEnd,
  type TransferMetrics,
  type TransferPhase,
  type TransferRequest,
} from './coordinator.ts';
export {
  type Census,
  createParticipants,
  isUnreachable,
  type Participants,
  type PreparedSource,
} from './participants.ts';
