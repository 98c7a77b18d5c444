/**
 * @module
 * Transfer recovery: at start and then periodically, every transfer the log shows unfinished
 * is driven to its end by the coordinator — commit when `prepared` is logged, abort before
 * (presumed abort) — and every reservation a participant still holds for a finished transfer is
 * settled. Every pass, the first one at start included, takes only transfers idle for `idleMs`:
 * with several gateways on one log a starting gateway must leave alone what another living
 * gateway is driving (its first pass once took them all and aborted them mid-prepare), and a
 * dead gateway's transfers go idle and are taken by whichever gateway passes first
 * (docs/gateways.md). `pass({ all: true })` takes every one now, for a caller that knows no
 * other coordinator runs.
 */

import type { Coordinator } from '../../coordinator/index.ts';
import { type Db, getTransfer, listReservations, listUnfinishedTransfers } from '../../store/index.ts';
import type { Logger } from '../../telemetry/index.ts';

export interface RecoveryOptions {
  db: Db;
  coordinator: Coordinator;
  logger: Logger;
  intervalMs?: number;
  idleMs?: number;
}

export interface Recovery {
  /** One pass now; resolves with how many transfers it finished. */
  pass(options?: { all?: boolean }): Promise<number>;
  /** Passes now and then every `intervalMs`. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const recovery = createRecovery({ db, coordinator, logger });
 * recovery.start(); // a pass now, then every 5 s
 * ```
 */
export function createRecovery({
  db,
  coordinator,
  logger,
  intervalMs = 5000,
  idleMs = 10_000,
}: RecoveryOptions): Recovery {
  const log = logger.child({ part: 'transfer-recovery' });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> = Promise.resolve(0);
  let stopped = false;
  let started = false;

  async function once({ all = false }: { all?: boolean } = {}): Promise<number> {
    const stuck = await listUnfinishedTransfers(db, all ? {} : { idleSince: new Date(Date.now() - idleMs) });
    let finished = 0;
    for (const t of stuck) {
      try {
        if (await coordinator.resume(t)) finished++;
      } catch (err) {
        log.warn(
          { err: (err as Error).message, transfer_id: t.transferId, status: t.status },
          'transfer not finished yet',
        );
      }
    }
    if (finished > 0) log.info({ finished, found: stuck.length }, 'unfinished transfers driven to their end');
    // Reservations left behind by finished transfers: the participant missed the last word.
    const cutoff = all ? Date.now() : Date.now() - idleMs;
    for (const r of await listReservations(db)) {
      if (r.createdAt.getTime() > cutoff) continue;
      const status = (await getTransfer(db, r.transferId))?.transfer.status ?? 'aborted';
      if (status === 'initiated' || status === 'prepared') continue;
      try {
        await coordinator.settle(r, status);
        finished++;
      } catch (err) {
        log.warn({ err: (err as Error).message, transfer_id: r.transferId }, 'participant not told yet');
      }
    }
    return finished;
  }

  function pass(options?: { all?: boolean }): Promise<number> {
    current = current.catch(() => 0).then(() => once(options));
    return current;
  }

  function loop(): void {
    pass()
      .catch((err) => log.warn({ err: (err as Error).message }, 'recovery pass failed; will retry'))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(loop, intervalMs);
          timer.unref();
        }
      });
  }

  return {
    pass,
    start() {
      if (started || stopped) return;
      started = true;
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current.catch(() => 0);
    },
  };
}
