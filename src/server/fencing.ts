/**
 * @module
 * What a tank server does when its lease (`lease.ts`) runs out and when it comes back. Fenced:
 * its tanks stop ticking (the host asks `mayAct` before every tick), REST commands, transfer
 * steps and new WebSockets are answered 503 `server_fenced`, snapshots stop, and every viewer is
 * told where to look its tank up, then closed (4503). Back: once a TTL pass succeeds again it
 * re-reads where its tanks are; each tank whose location names another server or a newer epoch
 * (the gateway restored it elsewhere meanwhile) is dropped from memory without a write, and the
 * rest resume from their frame. Until that re-read is done it stays fenced.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError, problemHeaders, problemResponse, toProblem } from '../http/index.ts';
import { type Db, listLocationsByServer } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { createLease, type Lease, type LeaseOptions, type LeaseState } from './lease.ts';

export interface FencingOptions {
  serverId: string;
  db: Db;
  /** The tanks in memory now (the host's; read lazily, the host is built after the fencing). */
  tanks: () => ReadonlyArray<{ readonly id: string; readonly epoch: number }>;
  logger: Logger;
  /** TTL − margin (see docs/failover.md). */
  leaseMs: number;
  /** The `Retry-After` of refusals: about when the gateway has the tanks placed again. */
  retryAfterS: number;
  /** Tells every viewer and closes it (4503). */
  onFenced: (err: ApiError) => void;
  /** Drops a tank that moved on while this server was fenced (no write: it is not ours). */
  drop: (tankId: string) => void;
  /** Tests pass a manual clock. */
  now?: LeaseOptions['now'];
  schedule?: LeaseOptions['schedule'];
}

export interface Fencing {
  /** Hand to the heartbeat: the send time of a TTL pass, and its success. */
  readonly lease: Pick<Lease, 'sending'>;
  /** A TTL pass sent at `sentAt` succeeded; recovers in the background when fenced. */
  passed(sentAt: number): void;
  /** True while the server may tick, serve commands and write. Synchronous; reads the clock. */
  mayAct(): boolean;
  /** The lease's state now: `held`, `fenced`, or `starting` (no pass yet). */
  state(): LeaseState;
  /** The refusal while fenced (503 `server_fenced` with `Retry-After`), else undefined. */
  refusal(): ApiError | undefined;
  /** True while a pass succeeded and the tanks' locations are being re-read. */
  recovering(): boolean;
  /** Resolves when a recovery in flight has finished (start-up waits for the first). */
  settled(): Promise<void>;
  close(): void;
}

/**
 * @example
 * ```ts
 * const fencing = createFencing({ serverId, db, tanks: () => host.list(), logger, leaseMs: 5000, retryAfterS: 6,
 *   onFenced: (err) => viewers.fenceAll(err), drop: (id) => tanks.evict(id) });
 * const host = createTankHost({ mayTick: () => fencing.mayAct() });
 * ```
 */
export function createFencing({
  serverId,
  db,
  tanks,
  logger,
  leaseMs,
  retryAfterS,
  onFenced,
  drop,
  now,
  schedule,
}: FencingOptions): Fencing {
  let fencedAt = 0;
  let recovering: Promise<void> | undefined;
  const clock = now ?? (() => performance.now());

  const refusalError = () =>
    new ApiError(
      'server_fenced',
      `server ${serverId} lost its lease; ask the gateway where the tank runs now`,
      {
        headers: { 'retry-after': String(retryAfterS) },
      },
    );

  const lease = createLease({
    leaseMs,
    now,
    schedule,
    onChange(state, { sinceRenewalMs }) {
      if (state !== 'fenced') return;
      fencedAt = clock();
      logger.warn(
        { lease_ms: leaseMs, since_pass_ms: sinceRenewalMs, tanks: tanks().length },
        'server fenced: no successful TTL pass within the lease; tanks stopped, viewers told to look up again',
      );
      try {
        onFenced(refusalError());
      } catch (err) {
        logger.error({ err }, 'telling viewers of the fence failed');
      }
    },
  });

  /** Re-reads the locations, drops what moved, then takes the lease back. */
  async function recover(): Promise<void> {
    const wasFenced = lease.state() === 'fenced';
    const owned = new Map((await listLocationsByServer(db, serverId)).map((l) => [l.tankId, l.epoch]));
    const dropped: string[] = [];
    for (const tank of tanks()) {
      const epoch = owned.get(tank.id);
      // Named elsewhere (or deleted), or moved away and back at a newer epoch: this copy is stale.
      if (epoch === undefined || epoch > tank.epoch) {
        drop(tank.id);
        dropped.push(tank.id);
      }
    }
    if (!lease.resume()) {
      logger.warn('lease ran out again while re-reading the tanks; still fenced');
      return;
    }
    if (wasFenced)
      logger.info(
        { fenced_ms: Math.round(clock() - fencedAt), resumed: tanks().length, dropped },
        'server unfenced: lease back; tanks that moved were dropped, the others resume',
      );
  }

  function passed(sentAt: number): void {
    lease.renewed(sentAt);
    if (lease.state() === 'held' || recovering) return;
    recovering = recover()
      .catch((err) =>
        logger.warn(
          { err: (err as Error).message },
          'still fenced: the store did not answer the re-read of this server tanks; retrying on the next pass',
        ),
      )
      .finally(() => {
        recovering = undefined;
      });
  }

  return {
    lease,
    passed,
    mayAct: () => lease.held(),
    state: () => lease.state(),
    refusal: () => (lease.held() ? undefined : refusalError()),
    recovering: () => recovering !== undefined,
    settled: async () => {
      await recovering;
    },
    close: () => lease.close(),
  };
}

/**
 * Answers every request 503 `server_fenced` (problem+json, `Retry-After`) while fenced; not
 * thrown, so a fenced server's refusals are not logged as failures one by one.
 *
 * @example
 * ```ts
 * app.use('/api/tanks/*', refuseWhileFenced(fencing));
 * ```
 */
export function refuseWhileFenced(
  fencing: Pick<Fencing, 'refusal' | 'recovering' | 'settled'>,
): MiddlewareHandler {
  return async function whileFenced(_c, next) {
    let refusal = fencing.refusal();
    // The lease is back and the re-read of the tanks runs (milliseconds; at start-up, right
    // after the registration made this server visible): wait for it rather than refuse.
    if (refusal && fencing.recovering()) {
      await fencing.settled();
      refusal = fencing.refusal();
    }
    if (!refusal) return next();
    return problemResponse(toProblem(refusal), problemHeaders(refusal));
  };
}
