/**
 * @module
 * Tubes on a tank server: the book of this server's tube ends (`book.ts`), the mover that
 * carries departing fish (`mover.ts`, over `remote.ts` to other servers), and what the rest of
 * the network hears: a `migration` event per move, and `fish_left` / `fish_arrived` to the
 * viewers of the two tanks (sent by whichever server runs each tank, on the event).
 */
import type { Discovery } from '../../discovery/index.ts';
import type { NetworkEvent, Realtime } from '../../realtime/index.ts';
import type { ResolveServer } from '../../server-client/index.ts';
import type { Db } from '../../store/index.ts';
import type { TankHost } from '../../tank/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Snapshotter } from '../snapshotter.ts';
import { createTubeBook, type TubeBook } from './book.ts';
import { arrivalPoint, createTubeMover, type TubeMover } from './mover.ts';
import { createRemoteMove } from './remote.ts';

export type { TubeBook, TubeEnd, TubeView } from './book.ts';
export type { Migration, TubeMover } from './mover.ts';

export interface Tubes {
  book: TubeBook;
  mover: TubeMover;
  /** What the server does with a network event that concerns tubes. */
  onEvent(event: NetworkEvent): void;
  start(): void;
  stop(): Promise<void>;
}

export interface TubesOptions {
  serverId: string;
  db: Db;
  host: TankHost;
  snapshotter: Snapshotter;
  realtime: Realtime;
  discovery: Discovery;
  logger: Logger;
  /** Signs the 2PC steps of moves to other servers; without it tubes carry fish locally only. */
  internalSecret?: string;
  /** Where those steps go (the mesh's sidecar upstream); each server's address from discovery when absent. */
  resolveServer?: ResolveServer;
  /** Sends a JSON message to every viewer of a tank here. */
  tell: (tankId: string, message: Record<string, unknown>) => void;
  refreshMs?: number;
}

/**
 * @example
 * ```ts
 * const tubes = createTubes({ serverId, db, host, snapshotter, realtime, discovery, logger, internalSecret, tell });
 * host = createTankHost({ onDepartures: (tank, d) => tubes.mover.depart(tank, d) });
 * ```
 */
export function createTubes(options: TubesOptions): Tubes {
  const { serverId, db, host, realtime, logger, tell } = options;
  const book = createTubeBook({
    serverId,
    db,
    host,
    logger,
    refreshMs: options.refreshMs,
    onChange: (tankId) => tell(tankId, { type: 'tubes', tubes: book.view(tankId) }),
  });
  const remote =
    options.internalSecret === undefined
      ? undefined
      : createRemoteMove({
          db,
          realtime,
          discovery: options.discovery,
          logger,
          secret: options.internalSecret,
          resolveServer: options.resolveServer,
        });
  const mover = createTubeMover({
    serverId,
    db,
    host,
    snapshotter: options.snapshotter,
    book,
    logger,
    remote,
    onMigration: (m) => {
      realtime
        .publish({
          type: 'migration',
          connection_id: m.connectionId,
          fish_uid: m.uid,
          lineage_id: m.lineageId,
          from_tank_id: m.fromTankId,
          to_tank_id: m.toTankId,
          from_server_id: m.fromServerId,
          to_server_id: m.toServerId,
          local: m.local,
          took_ms: Math.round(m.tookMs * 100) / 100,
          at: new Date().toISOString(),
        })
        .catch((err) => logger.warn({ err: (err as Error).message }, 'migration event not published'));
    },
  });

  function arrived(event: Extract<NetworkEvent, { type: 'migration' }>): void {
    const tank = host.get(event.to_tank_id);
    if (!tank) return;
    // A fish from another server came in where it was in its old tank: put it at the mouth.
    const end = book.arriving(tank.id, event.connection_id);
    const i = tank.world.fish.uid.indexOf(event.fish_uid);
    if (!event.local && end && i >= 0 && i < tank.world.fish.count) {
      const at = arrivalPoint(end, tank.world);
      tank.world.fish.x[i] = at.x;
      tank.world.fish.y[i] = at.y;
      tank.touch();
    }
    tell(tank.id, {
      type: 'fish_arrived',
      uid: event.fish_uid,
      connection_id: event.connection_id,
      from_tank_id: event.from_tank_id,
    });
  }

  return {
    book,
    mover,
    onEvent(event) {
      if (event.type === 'connection_changed') {
        if (host.get(event.source_tank_id) || host.get(event.dest_tank_id)) {
          book.refresh().catch((err) => logger.warn({ err: (err as Error).message }, 'tubes not read again'));
        }
      } else if (event.type === 'migration') {
        if (host.get(event.from_tank_id)) {
          tell(event.from_tank_id, {
            type: 'fish_left',
            uid: event.fish_uid,
            connection_id: event.connection_id,
            to_tank_id: event.to_tank_id,
          });
        }
        arrived(event);
      } else if (
        (event.type === 'tank_created' && event.server_id === serverId) ||
        (event.type === 'tank_moved' && event.to === serverId)
      ) {
        // A tank new here may bring tubes (its mouths); one elsewhere changes none here.
        book.refresh().catch(() => undefined);
      }
    },
    start: () => book.start(),
    async stop() {
      book.stop();
      await mover.idle();
    },
  };
}
