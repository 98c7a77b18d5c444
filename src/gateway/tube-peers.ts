/**
 * @module
 * The `peers` a move's placement reads (`followTubes`): how many of the tank's tubes lead to
 * tanks on each server. A store that cannot answer degrades the move to placement without
 * tubes, never fails it: a rebalance or a failover must go on.
 */
import { countTubePeersByServer, type Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';

/**
 * @example
 * ```ts
 * const choice = await loads.choose(placement, candidates, { tankId, peers: await tubePeersOf({ db, logger }, tankId) });
 * ```
 */
export async function tubePeersOf(
  { db, logger }: { db: Db; logger: Logger },
  tankId: string,
): Promise<Record<string, number>> {
  try {
    return await countTubePeersByServer(db, tankId);
  } catch (err) {
    logger.warn(
      { err: (err as Error).message, tank_id: tankId },
      'tubes unreadable; placing the tank without them',
    );
    return {};
  }
}
