/**
 * @module
 * The coordinator's two ends of a transfer (see `coordinator.ts`): `abort` logs the abort
 * unless a decision is logged already and tells both participants; `commit` runs the commit
 * steps of a transfer logged `prepared`, destination first, then the source, and logs
 * `committed` with both steps' events in one write. Both are safe to run again.
 */

import type { CrashPoint } from '../fault/index.ts';
import { ApiError, toProblem } from '../http/index.ts';
import type { TransferStep } from '../realtime/index.ts';
import { ConflictError, type Db, getTransfer, setTransferStatus, type Transfer } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { isUnreachable, type Participants } from './participants.ts';

/** What a transfer answered, kept in the log so a retry with the same key gets it again. */
export interface TransferAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422 | 503;
  body: Record<string, unknown>;
}

export interface PhasesOptions {
  db: Db;
  participants: Participants;
  log: Logger;
  crash: CrashPoint;
  publish: (t: Transfer, step: TransferStep) => void;
  /** Where a tank runs now; `logged` when it cannot be looked up. */
  serverOf: (tankId: string, logged: string) => Promise<string>;
  /** Attempts of a commit step before the transfer is left to recovery. */
  commitAttempts: number;
}

/**
 * @example
 * ```ts
 * const { commit, abort } = createPhases({ db, participants, log, crash, publish, serverOf, commitAttempts: 3 });
 * ```
 */
export function createPhases({
  db,
  participants,
  log,
  crash,
  publish,
  serverOf,
  commitAttempts,
}: PhasesOptions) {
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

  return { commit, abort };
}
