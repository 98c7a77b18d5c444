/**
 * @module
 * Live moves as the gateway runs them (`POST /api/tanks/{id}/move`, `POST /api/servers/{id}/drain`):
 * the destination is checked (or chosen by placement), the tank's owner hands it off (freeze,
 * fenced snapshot, location CAS to epoch + 1, viewers told: `src/server/hand-off.ts`), then the
 * destination is asked to adopt it so it ticks again before the answer goes out. Its viewers
 * may get there first: their connection adopts it too, whichever comes first.
 */
import type { ServerInstance } from '../discovery/index.ts';
import { ApiError } from '../http/index.ts';
import type { HandedOffTank } from '../server-client/index.ts';
import { listLocationsByServer } from '../store/index.ts';
import type { Placing } from './placing.ts';
import { tankUnavailable } from './proxy.ts';
import { tubePeersOf } from './tube-peers.ts';
import type { TankRecord } from './views.ts';

export interface LiveMover {
  /** Moves a tank off its server, to `to` or where placement says; the destination and the move. */
  move(
    record: TankRecord,
    options?: { to?: string },
  ): Promise<{ server: ServerInstance; moved: HandedOffTank }>;
  /** Moves every tank off `serverId`, one at a time; `onMoved` sees each move or failure. */
  drain(
    serverId: string,
    onProgress: (step: {
      tank_id: string;
      to?: string;
      epoch?: number;
      frame?: number;
      error?: string;
    }) => void,
  ): Promise<{ moved: number; failed: number }>;
  /** Servers being drained through this gateway: its moves send no tank there meanwhile. */
  readonly draining: ReadonlySet<string>;
}

/** Server ids as the servers take them (`src/config.ts`). */
export const SERVER_ID = /^[a-z0-9][a-z0-9-]{0,99}$/;

/**
 * @example
 * ```ts
 * const mover = createLiveMover(placing);
 * const { server } = await mover.move(record, { to: 'server-2' });
 * ```
 */
export function createLiveMover({
  directory,
  loads,
  placement,
  serverClient,
  cache,
  logger,
  db,
}: Placing): LiveMover {
  const draining = new Set<string>();

  /** The server named by the caller, checked; or the best healthy one other than `from`. */
  async function destination(tankId: string, from: string, to: string | undefined): Promise<ServerInstance> {
    if (to !== undefined) {
      if (!SERVER_ID.test(to))
        throw new ApiError('invalid_move_target', `not a server id: ${JSON.stringify(to)}`);
      if (to === from) throw new ApiError('invalid_move_target', `tank ${tankId} already runs on ${to}`);
      const server = directory.get(to);
      if (!server || !directory.isAvailable(to) || draining.has(to))
        throw new ApiError('move_target_unavailable', `server ${to} is unknown or not healthy`);
      return server;
    }
    const candidates = directory.healthy().filter((s) => s.serverId !== from && !draining.has(s.serverId));
    // Where its tubes lead, when load allows: its fish then swim inside one process.
    const peers = candidates.length > 0 ? await tubePeersOf({ db, logger }, tankId) : {};
    const choice =
      candidates.length > 0 ? await loads.choose(placement, candidates, { tankId, peers }) : undefined;
    if (!choice) throw new ApiError('move_target_unavailable', `no healthy server to move tank ${tankId} to`);
    choice.release();
    return directory.get(choice.serverId)!;
  }

  async function move(record: TankRecord, { to }: { to?: string } = {}) {
    const from = record.serverId;
    if (from === null || !directory.isAvailable(from)) throw tankUnavailable(record);
    const server = await destination(record.tankId, from, to);
    const moved = await serverClient.handOff(from, record.tankId, {
      serverId: server.serverId,
      wsUrl: server.wsUrl,
    });
    cache.invalidate(record.tankId);
    loads.placed(server.serverId);
    try {
      await serverClient.adoptTank(server.serverId, record.tankId, moved.epoch);
    } catch (err) {
      // The location names it already: its first viewer or request, or the event, adopts it.
      logger.warn(
        { err: (err as Error).message, tank_id: record.tankId, server_id: server.serverId },
        'moved tank not adopted on the call',
      );
    }
    logger.info({ tank_id: record.tankId, from, to: server.serverId, epoch: moved.epoch }, 'tank moved live');
    return { server, moved };
  }

  async function drain(
    serverId: string,
    onProgress: Parameters<LiveMover['drain']>[1],
  ): Promise<{ moved: number; failed: number }> {
    draining.add(serverId);
    let moved = 0;
    let failed = 0;
    try {
      for (const { tankId } of await listLocationsByServer(db, serverId)) {
        const record = await cache.get(tankId);
        if (!record || record.serverId !== serverId) continue;
        try {
          const done = await move(record);
          moved++;
          onProgress({
            tank_id: tankId,
            to: done.server.serverId,
            epoch: done.moved.epoch,
            frame: done.moved.frame,
          });
        } catch (err) {
          failed++;
          onProgress({ tank_id: tankId, error: (err as Error).message });
        }
      }
    } finally {
      draining.delete(serverId);
    }
    return { moved, failed };
  }

  return { move, drain, draining };
}
