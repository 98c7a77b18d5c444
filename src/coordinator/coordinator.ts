/**
 * @module
 * The two-phase-commit coordinator of fish transfers. Its log (`transfers` + append-only
 * `transfer_events`) is written before each phase and is the only decision record: a transfer
 * whose `prepared` status is logged commits, whatever crashes; one that never got there aborts
 * (presumed abort). `initiated` is logged before any participant is asked. Prepare: the source
 * holds the fish out of its world, then the destination holds room (each keeps the payload in
 * its reservation); `prepared` goes into the log with the payload and the source's answer in one
 * write. Commit: the destination inserts the fish with its uid, then the source drops its hold;
 * `committed` goes in with both steps' events. Every participant step is idempotent, so recovery
 * (`recovery.ts`) simply runs the remaining steps again. Three log writes a transfer, each one
 * statement.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CrashPoint } from '../fault/index.ts';
import { ApiError } from '../http/index.ts';
import type { Realtime, TransferStep } from '../realtime/index.ts';
import {
  createTransfer,
  type Db,
  getLocation,
  getTransfer,
  setTransferStatus,
  type Transfer,
  type TransferReservation,
} from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { Participants } from './participants.ts';
import { createPhases, type TransferAnswer } from './phases.ts';

/** The body of `POST /gateway/transfer` (a public contract, hence snake_case). */
export interface TransferRequest {
  source_tank_id: string;
  dest_tank_id: string;
  entity_id: number;
  entity_type: 'fish';
}

export type { TransferAnswer } from './phases.ts';

export interface CoordinatorOptions {
  db: Db;
  participants: Participants;
  realtime: Realtime;
  logger: Logger;
  crash: CrashPoint;
  /** Attempts of a commit step before the transfer is left to recovery. */
  commitAttempts?: number;
  /** How long a retry waits for a transfer another process is driving. */
  waitForOtherMs?: number;
  /** Outcome and phase times of the transfers driven here; none when absent. */
  metrics?: Pick<TransferMetrics, 'phase' | 'outcome'>;
}

export type Coordinator = ReturnType<typeof createCoordinator>;

export type TransferPhase = 'prepare' | 'commit' | 'abort';
/** `incomplete`: committed in the log, with a step left to recovery (the caller got a 503). */
export type TransferEnd = 'committed' | 'aborted' | 'incomplete';

/** What the coordinator reports for metrics (the gateway's Prometheus series). */
export interface TransferMetrics {
  phase(name: TransferPhase, seconds: number): void;
  outcome(outcome: TransferEnd, seconds: number): void;
}

const FINAL = new Set(['committed', 'aborted', 'failed']);

/** Hash of the request body: the same key with another body is refused. */
export function requestHash(req: TransferRequest): string {
  const canonical = JSON.stringify([req.source_tank_id, req.dest_tank_id, req.entity_id, req.entity_type]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * @example
 * ```ts
 * const coordinator = createCoordinator({ db, participants, realtime, logger, crash: noCrash });
 * const { status, body } = await coordinator.submit({ request, key, requestedBy: 'alice', sourceServer, destServer });
 * ```
 */
export function createCoordinator({
  db,
  participants,
  realtime,
  logger,
  crash,
  commitAttempts = 3,
  waitForOtherMs = 15_000,
  metrics,
}: CoordinatorOptions) {
  const log = logger.child({ part: 'transfers' });
  /** Transfers this process is driving now; recovery leaves them alone. */
  const running = new Map<string, Promise<TransferAnswer>>();

  function publish(t: Transfer, step: TransferStep): void {
    realtime
      .publish({
        type: 'transfer_step',
        transfer_id: t.transferId,
        step,
        source_tank_id: t.sourceTankId,
        dest_tank_id: t.destTankId,
        at: new Date().toISOString(),
      })
      .catch((err) =>
        log.warn({ err: (err as Error).message, transfer_id: t.transferId }, 'transfer event not published'),
      );
  }

  function track(transferId: string, job: Promise<TransferAnswer>): Promise<TransferAnswer> {
    running.set(transferId, job);
    void job.finally(() => running.delete(transferId)).catch(() => undefined);
    return job;
  }

  /** Where a tank runs now (a failover may have moved it since the transfer was logged). */
  async function serverOf(tankId: string, logged: string): Promise<string> {
    return (await getLocation(db, tankId).catch(() => undefined))?.serverId ?? logged;
  }

  const { commit, abort } = createPhases({ db, participants, log, crash, publish, serverOf, commitAttempts });

  async function submit({
    request,
    key,
    requestedBy,
    sourceServer,
    destServer,
  }: {
    request: TransferRequest;
    key: string | undefined;
    /** The caller: a key is looked up among this user's keys only. */
    requestedBy: string;
    sourceServer: string;
    destServer: string;
  }): Promise<TransferAnswer> {
    const hash = requestHash(request);
    const { transfer, created } = await createTransfer(db, {
      idempotencyKey: key ?? `auto-${randomUUID()}`,
      requestedBy,
      requestHash: hash,
      sourceTankId: request.source_tank_id,
      destTankId: request.dest_tank_id,
      sourceServer,
      destServer,
      entityId: request.entity_id,
      eventData: { request, source_server: sourceServer, dest_server: destServer },
    });
    if (!created) {
      if (transfer.requestHash !== hash) {
        throw new ApiError('idempotency_mismatch', `idempotency key ${key} was used for another transfer`, {
          extra: { transfer_id: transfer.transferId },
        });
      }
      return answerOf(transfer.transferId);
    }
    return track(transfer.transferId, run(transfer));
  }

  /** The first answer of a transfer, waiting for it while it is still being driven. */
  async function answerOf(transferId: string): Promise<TransferAnswer> {
    const deadline = Date.now() + waitForOtherMs;
    for (;;) {
      const mine = running.get(transferId);
      if (mine) return mine;
      const found = await getTransfer(db, transferId);
      if (found && FINAL.has(found.transfer.status) && found.transfer.response) {
        return found.transfer.response as TransferAnswer;
      }
      if (Date.now() > deadline) {
        throw new ApiError('conflict', `transfer ${transferId} is still in progress; retry later`, {
          extra: { transfer_id: transferId, status: found?.transfer.status },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** `job` timed as `phase`, and the transfer's outcome when it ends it. */
  async function timed(
    phase: TransferPhase,
    began: number,
    job: () => Promise<TransferAnswer>,
  ): Promise<TransferAnswer> {
    const phaseBegan = performance.now();
    const since = (t0: number) => (performance.now() - t0) / 1000;
    try {
      const answer = await job();
      metrics?.phase(phase, since(phaseBegan));
      metrics?.outcome(answer.status === 200 ? 'committed' : 'aborted', since(began));
      return answer;
    } catch (err) {
      metrics?.outcome(phase === 'commit' ? 'incomplete' : 'aborted', since(began));
      throw err;
    }
  }

  async function run(t: Transfer): Promise<TransferAnswer> {
    const began = performance.now();
    publish(t, 'initiated');
    crash('before_prepare');
    let prepared: Transfer;
    try {
      const source = await participants.prepareSource(t.sourceServer, t.transferId, {
        tank_id: t.sourceTankId,
        entity_id: t.entityId,
      });
      await participants.prepareDest(t.destServer, t.transferId, {
        tank_id: t.destTankId,
        payload: source.payload,
      });
      // The decision, with the payload and the source's answer, in one write: until it is in the
      // log the payload is in both participants' reservations, and the transfer aborts.
      prepared = await setTransferStatus(db, {
        transferId: t.transferId,
        status: 'prepared',
        expected: ['initiated'],
        entityUid: source.entity_uid,
        entityPayload: source.payload,
        oldId: source.old_id ?? t.entityId,
        after: [
          {
            eventType: 'source_prepared',
            eventData: { server: t.sourceServer, entity_uid: source.entity_uid, payload: source.payload },
          },
        ],
        eventData: {
          source_server: t.sourceServer,
          dest_server: t.destServer,
          entity_uid: source.entity_uid,
        },
      });
    } catch (err) {
      return timed('abort', began, () => abort(t, err));
    }
    metrics?.phase('prepare', (performance.now() - began) / 1000);
    publish(t, 'prepared');
    crash('after_prepare');
    // Driven now, the participants are the ones just asked; recovery looks them up again.
    return timed('commit', began, () => commit(prepared, { source: t.sourceServer, dest: t.destServer }));
  }

  /**
   * Drives an unfinished transfer found in the log to its end: commit when `prepared` was
   * logged, abort otherwise. Transfers this process is driving are left alone.
   */
  async function resume(t: Transfer): Promise<TransferAnswer | undefined> {
    if (running.has(t.transferId)) return undefined;
    if (t.status === 'prepared') return track(t.transferId, commit(t));
    if (t.status === 'initiated') {
      const reason = new ApiError(
        'unavailable',
        'the transfer was interrupted before both sides prepared; aborted',
      );
      return track(t.transferId, abort(t, reason));
    }
    return undefined;
  }

  /**
   * Tells a participant how its transfer ended when it still holds a reservation for a transfer
   * the log shows finished (it was down when told, or the coordinator died after deciding).
   */
  async function settle(r: TransferReservation, status: Transfer['status']): Promise<void> {
    if (running.has(r.transferId)) return;
    const server = await serverOf(r.tankId, r.serverId);
    if (status === 'committed') {
      if (r.role === 'dest') {
        await participants.commitDest(server, r.transferId, { tank_id: r.tankId, entity_uid: r.entityUid });
      } else await participants.commitSource(server, r.transferId);
    } else await participants.abort(server, r.transferId);
    log.info(
      { transfer_id: r.transferId, role: r.role, status, server },
      'participant told how its transfer ended',
    );
  }

  return { submit, answerOf, resume, settle, running };
}
