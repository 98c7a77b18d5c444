/**
 * @module
 * The parts that put a tank on a server and record where it went. `createGateway` builds them
 * once; the tank creator (`create-tank.ts`) and failover (`failover.ts`) both take the bundle.
 */
import type { Realtime } from '../realtime/index.ts';
import type { ServerClient } from '../server-client/index.ts';
import type { Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { TankCache } from './cache.ts';
import type { ServerDirectory } from './directory.ts';
import type { LoadView } from './load-view.ts';
import type { PlacementStrategy } from './placement.ts';

/**
 * What placing a tank needs: the servers (`directory`, `loads`, `placement`), a way to call them
 * (`serverClient`), and the records to update (`db`, `cache`, `realtime`).
 *
 * @example
 * ```ts
 * const placing: Placing = { db, directory, realtime, placement, loads, serverClient, cache, logger };
 * const creator = createTankCreator(placing);
 * ```
 */
export interface Placing {
  db: Db;
  directory: ServerDirectory;
  realtime: Realtime;
  placement: PlacementStrategy;
  loads: LoadView;
  serverClient: ServerClient;
  cache: TankCache;
  logger: Logger;
}
