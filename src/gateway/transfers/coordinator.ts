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
import type { CrashPoint } from '../../fault/index.ts';
import { ApiError, toProblem } from '../../http/index.ts';
import type { Realtime, TransferStep } from '../../realtime/index.ts';
import {
  ConflictError,
  createTransfer,
  type Db,
  getLocation,
  getTransfer,
  setTransferStatus,
  type Transfer,
  type TransferReservation,
} from '../../store/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { isUnreachable, type Participants } from './participants.ts';

/** The seed's transfer request. */
export interface TransferRequest {
  source_tank_id: string;
  dest_tank_id: string;
  entity_id: number;
  entity_type: 'fish';
}

/** What a transfer answered, kept in the log so a retry with the same key gets it again. */
export interface TransferAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422 | 503;
  body: Record<string, unknown>;
}

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
}

export type Coordinator = ReturnType<typeof createCoordinator>;

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
 * const { status, body } = await coordinator.submit({ request, key, sourceServer, destServer });
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

  async function submit({
    request,
    key,
    sourceServer,
    destServer,
  }: {
    request: TransferRequest;
    key: string | undefined;
    sourceServer: string;
    destServer: string;
  }): Promise<TransferAnswer> {
    const hash = requestHash(request);
    const { transfer, created } = await createTransfer(db, {
      idempotencyKey: key ?? `auto-${randomUUID()}`,
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

  async function run(t: Transfer): Promise<TransferAnswer> {
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
      return abort(t, err);
    }
    publish(t, 'prepared');
    crash('after_prepare');
    // Driven now, the participants are the ones just asked; recovery looks them up again.
    return commit(prepared, { source: t.sourceServer, dest: t.destServer });
  }

  /**
   * Logs the abort (unless the log already holds a decision, which then wins), then tells both
   * participants. A participant that cannot be told now learns it from its reservation sweep.
   */
  async function abort(t: Transfer, reason: unknown): Promise<TransferAnswer> {
    const problem = toProblem(
      isUnreachable(reason) ? new ApiError('unavailable', (reason as Error).message) : reason,
    );
    const answer: TransferAnswer = {
      status: problem.status as TransferAnswer['status'],
      body: { ...problem, transfer_id: t.transferId, aborted: true },
    };
    try {
      await setTransferStatus(db, {
        transferId: t.transferId,
        status: 'aborted',
        expected: ['initiated'],
        error: problem.detail,
        response: answer,
        eventData: { reason: problem.code, detail: problem.detail },
      });
    } catch (err) {
      if (err instanceof ConflictError) {
        const now = await getTransfer(db, t.transferId);
        if (now?.transfer.status === 'prepared') return commit(now.transfer);
        if (now?.transfer.response) return now.transfer.response as TransferAnswer;
      }
      log.error({ err, transfer_id: t.transferId }, 'abort could not be logged; recovery will abort it');
      throw new ApiError('unavailable', `transfer ${t.transferId} failed and is being aborted`, {
        cause: err,
        extra: { transfer_id: t.transferId },
      });
    }
    publish(t, 'aborted');
    const servers = new Set([
      await serverOf(t.sourceTankId, t.sourceServer),
      await serverOf(t.destTankId, t.destServer),
    ]);
    for (const server of servers) {
      await participants
        .abort(server, t.transferId)
        .catch((err) =>
          log.warn({ err: (err as Error).message, transfer_id: t.transferId, server }, 'abort not delivered'),
        );
    }
    log.info({ transfer_id: t.transferId, reason: problem.code }, 'transfer aborted');
    return answer;
  }

  async function retried<T>(what: string, job: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await job();
      } catch (err) {
        if (attempt >= commitAttempts || !isUnreachable(err)) throw err;
        log.warn({ err: (err as Error).message, attempt }, `${what} failed; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }

  /**
   * Runs the commit steps of a transfer logged `prepared`; safe to run again. `servers` are the
   * participants' servers when known to be current (the request just prepared them); otherwise
   * each tank's server is looked up (a failover may have moved it since).
   */
  async function commit(t: Transfer, servers?: { source: string; dest: string }): Promise<TransferAnswer> {
    const uid = t.entityUid as string;
    try {
      const destServer = servers?.dest ?? (await serverOf(t.destTankId, t.destServer));
      const dest = await retried('commit-dest', () =>
        participants.commitDest(destServer, t.transferId, { tank_id: t.destTankId, entity_uid: uid }),
      );
      crash('after_dest_commit');
      crash('before_source_drop');
      const sourceServer = servers?.source ?? (await serverOf(t.sourceTankId, t.sourceServer));
      await retried('commit-source', () => participants.commitSource(sourceServer, t.transferId));
      const answer: TransferAnswer = {
        status: 200,
        body: {
          success: true,
          transfer_id: t.transferId,
          old_id: t.oldId ?? t.entityId,
          // Null only when a repeated commit finds the fish gone on from the destination.
          new_id: dest.new_id,
          entity_uid: uid,
          source_server: sourceServer,
          dest_server: destServer,
          timestamp: new Date().toISOString(),
        },
      };
      // Both steps' events and the outcome in one write: a crash before it repeats the steps.
      const done = await setTransferStatus(db, {
        transferId: t.transferId,
        status: 'committed',
        expected: ['prepared'],
        newId: dest.new_id ?? undefined,
        response: answer,
        after: [
          { eventType: 'dest_committed', eventData: { server: destServer, new_id: dest.new_id } },
          { eventType: 'source_dropped', eventData: { server: sourceServer } },
        ],
      });
      publish(t, 'committed');
      log.info(
        { transfer_id: t.transferId, uid, source: sourceServer, dest: destServer },
        'transfer committed',
      );
      return (done.response as TransferAnswer | null) ?? answer;
    } catch (err) {
      if (err instanceof ConflictError) {
        // Another driver (recovery elsewhere) finished it first: its answer stands.
        const now = await getTransfer(db, t.transferId);
        if (now?.transfer.response) return now.transfer.response as TransferAnswer;
      }
      // The decision is commit: nothing can undo it; recovery finishes it when the participant is back.
      log.warn(
        { err: (err as Error).message, transfer_id: t.transferId },
        'commit interrupted; recovery will finish it',
      );
      throw new ApiError(
        'unavailable',
        `transfer ${t.transferId} is committed but not yet complete; retry to get its result`,
        {
          cause: err,
          extra: { transfer_id: t.transferId, status: 'prepared' },
        },
      );
    }
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
