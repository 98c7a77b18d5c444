/**
 * @module
 * Fish transfers between tanks, coordinated by the gateway with two-phase commit: the
 * coordinator, its recovery loop, the audit and the routes. `registerTransfers` mounts it all
 * on the gateway app and starts recovery (a pass at once, then periodic passes).
 *
 * @example
 * ```ts
 * const transfers = registerTransfers(app, { ctx, client, verifier });
 * process.on('SIGTERM', () => transfers.stop());
 * ```
 */
import { bearerAuth, OPERATOR_SCOPE, requireScope, type TokenVerifier } from '../../auth/index.ts';
import {
  type Coordinator,
  createCoordinator,
  createParticipants,
  type Participants,
} from '../../coordinator/index.ts';
import { type CrashPoint, noCrash } from '../../fault/index.ts';
import type { OpenAPIHono } from '../../http/index.ts';
import type { ServerClient } from '../../server-client/index.ts';
import type { GatewayContext, GatewayEnv } from '../context.ts';
import { createRecovery, type Recovery } from './recovery.ts';
import { registerTransferRoutes } from './routes.ts';

export { type AuditReport, runAudit } from './audit.ts';
export { createRecovery, type Recovery } from './recovery.ts';

export interface TransfersOptions {
  ctx: GatewayContext;
  client: Pick<ServerClient, 'send'>;
  verifier: TokenVerifier;
  /** Fault-injection points (tests only, see src/fault); none by default. */
  crash?: CrashPoint;
  recoveryIntervalMs?: number;
  /** A transfer untouched this long is taken over by recovery. */
  recoveryIdleMs?: number;
  participantTimeoutMs?: number;
}

export interface Transfers {
  coordinator: Coordinator;
  participants: Participants;
  recovery: Recovery;
  /** Stops the recovery loop; safe to call twice. */
  stop(): Promise<void>;
}

export function registerTransfers(app: OpenAPIHono<GatewayEnv>, options: TransfersOptions): Transfers {
  const { ctx } = options;
  const participants = createParticipants({
    client: options.client,
    timeoutMs: options.participantTimeoutMs,
  });
  const coordinator = createCoordinator({
    db: ctx.db,
    participants,
    realtime: ctx.realtime,
    logger: ctx.logger,
    crash: options.crash ?? noCrash,
    metrics: ctx.metrics.transfers,
  });
  const recovery = createRecovery({
    db: ctx.db,
    coordinator,
    logger: ctx.logger,
    intervalMs: options.recoveryIntervalMs,
    idleMs: options.recoveryIdleMs,
  });
  const auth = bearerAuth({ verifier: options.verifier, session: true });
  app.use('/api/transfers', auth);
  app.use('/api/transfers/*', auth);
  app.use('/api/audit', auth, requireScope({ scope: OPERATOR_SCOPE }));
  registerTransferRoutes(app, { ctx, coordinator, participants });
  recovery.start();
  return { coordinator, participants, recovery, stop: () => recovery.stop() };
}
