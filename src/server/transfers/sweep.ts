/**
 * @module
 * Reservation timeouts of a transfer participant: a reservation older than `staleAfterMs` is
 * resolved by asking the coordinator how its transfer ended (by default its log, the durable
 * record of its decision), never by deciding alone; pending transfers are left to it.
 */
import { type Db, getTransfer, type TransferReservation } from '../../store/index.ts';
import type { Logger } from '../../telemetry/index.ts';

/** How a transfer ended, as the coordinator decided it. */
export type TransferOutcome = 'committed' | 'aborted' | 'pending';

/** The coordinator's decision as its log (`transfers`) records it. */
export function outcomeFromLog(db: Db): (transferId: string) => Promise<TransferOutcome> {
  return async (transferId) => {
    const found = await getTransfer(db, transferId);
    // No log entry at all: the coordinator logs before it prepares, so nothing was decided to
    // commit; presumed abort.
    if (!found) return 'aborted';
    const { status } = found.transfer;
    return status === 'committed'
      ? 'committed'
      : status === 'initiated' || status === 'prepared'
        ? 'pending'
        : 'aborted';
  };
}

export interface ReservationSweepOptions {
  logger: Logger;
  /** Open reservations of this server, oldest first. */
  list: () => Promise<TransferReservation[]>;
  /** Whether this server runs the reservation's tank now (others are not ours to settle). */
  runs: (tankId: string) => boolean;
  outcomeOf: (transferId: string) => Promise<TransferOutcome>;
  /** Runs the commit step of the reservation's side, or the abort. */
  settle: (r: TransferReservation, outcome: 'committed' | 'aborted') => Promise<unknown>;
  staleAfterMs: number;
  intervalMs: number;
}

/**
 * @example
 * ```ts
 * const sweep = createReservationSweep({ logger, list, runs, outcomeOf: outcomeFromLog(db), settle,
 *   staleAfterMs: 30_000, intervalMs: 10_000 });
 * sweep.start();
 * ```
 */
export function createReservationSweep({
  logger,
  list,
  runs,
  outcomeOf,
  settle,
  staleAfterMs,
  intervalMs,
}: ReservationSweepOptions) {
  let timer: NodeJS.Timeout | undefined;

  /** Resolves reservations older than `staleAfterMs` by the coordinator's decision. */
  async function sweep(): Promise<number> {
    const cutoff = Date.now() - staleAfterMs;
    let resolved = 0;
    for (const r of await list()) {
      if (r.createdAt.getTime() > cutoff || !runs(r.tankId)) continue;
      const outcome = await outcomeOf(r.transferId);
      if (outcome === 'pending') continue;
      await settle(r, outcome);
      resolved++;
      logger.warn(
        { transfer_id: r.transferId, role: r.role, outcome },
        'stale reservation resolved by the coordinator log',
      );
    }
    return resolved;
  }

  return {
    sweep,
    start() {
      const loop = () => {
        sweep()
          .catch((err) => logger.warn({ err }, 'reservation sweep failed; will retry'))
          .finally(() => {
            if (timer) timer = setTimeout(loop, intervalMs);
          });
      };
      timer ??= setTimeout(loop, intervalMs);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
