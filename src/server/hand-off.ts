/**
 * @module
 * A live move of one tank off this server (`handOff`): the tank is frozen (no tick, no
 * command, no transfer step: it runs inside `snapshotter.exclusive`), its state saved as a
 * fenced snapshot, and its location moved to the destination one epoch on with a
 * compare-and-set, the same store call failover makes. Up to that CAS nothing has changed
 * for anyone else, so any failure thaws the tank where it was; from the CAS on the destination
 * owns it, adopts it from that snapshot (its first viewer, the gateway's adopt call or the
 * `tank_moved` event, whichever comes first) and resumes at the same frame. Then each viewer
 * here gets `{type:'moved', websocket_url, …}` and the close code `moved` (4307).
 */
import { ApiError } from '../http/index.ts';
import type { Realtime } from '../realtime/index.ts';
import { type Db, moveTank, StoreError, saveSnapshots } from '../store/index.ts';
import { encodeTankSnapshot, type TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { Snapshotter } from './snapshotter.ts';
import { tankNotFound } from './tank-service.ts';

/** Where the tank goes. */
export interface HandOffTarget {
  serverId: string;
  /** The destination's WebSocket base URL (as discovery has it), told to the viewers. */
  wsUrl: string;
}

/** What a viewer of a moved tank is told before its socket closes with `WsClose.moved`. */
export interface MovedMessage {
  type: 'moved';
  tank_id: string;
  /** Where to watch the tank now (the destination's `/ws/<tank_id>`, without a token). */
  websocket_url: string;
  server_id: string;
  /** The frame the tank was saved and resumes at. */
  frame: number;
  /** The location's epoch after the move. */
  epoch: number;
}

/** A tank handed off: where it went, from which frame, at which epoch. */
export interface HandedOff {
  tankId: string;
  from: string;
  to: string;
  epoch: number;
  frame: number;
}

export interface HandOffOptions {
  serverId: string;
  host: TankHost;
  db: Db;
  realtime: Realtime;
  snapshotter: Snapshotter;
  logger: Logger;
  /** Tells the tank's viewers where it went and closes them (`ViewerSockets.moveTank`). */
  moveViewers: (tankId: string, message: MovedMessage) => void;
}

/** The URL a viewer opens to watch `tankId` on a server whose WebSocket base is `wsUrl`. */
export function viewerUrl(wsUrl: string, tankId: string): string {
  return `${wsUrl.replace(/\/$/, '')}/ws/${encodeURIComponent(tankId)}`;
}

/**
 * @example
 * ```ts
 * const handOff = createHandOff({ serverId, host, db, realtime, snapshotter, logger, moveViewers: viewers.moveTank });
 * const moved = await handOff(tankId, { serverId: 'server-2', wsUrl: 'ws://10.0.0.7:8002' });
 * ```
 */
export function createHandOff({
  serverId,
  host,
  db,
  realtime,
  snapshotter,
  logger,
  moveViewers,
}: HandOffOptions): (tankId: string, to: HandOffTarget) => Promise<HandedOff> {
  return async function handOff(tankId, to) {
    if (to.serverId === serverId)
      throw new ApiError('invalid_move_target', `tank ${tankId} already runs on ${serverId}`);
    const moved = await snapshotter.exclusive([tankId], async () => {
      const tank = host.get(tankId);
      if (!tank) throw tankNotFound(tankId, serverId);
      if (tank.status === 'failed')
        throw new ApiError('tank_failed', `tank ${tankId} stopped after an error; restore it before moving`);
      if (tank.frozen) throw new ApiError('tank_moving', `tank ${tankId} is already moving`);
      tank.freeze();
      const frame = tank.world.frame;
      let epoch: number;
      try {
        const { fenced } = await saveSnapshots(db, [
          {
            tankId,
            serverId,
            epoch: tank.epoch,
            frame,
            state: encodeTankSnapshot(tank),
            journalSeq: tank.journalSeq,
          },
        ]);
        if (fenced.length > 0)
          throw new ApiError('stale_epoch', `tank ${tankId} is no longer owned here at epoch ${tank.epoch}`);
        tank.markSaved(frame);
        epoch = await moveTank(db, { tankId, toServerId: to.serverId, expectedEpoch: tank.epoch });
      } catch (err) {
        // Nothing changed for anyone else: the tank runs on here, not one tick lost.
        tank.thaw();
        if (err instanceof StoreError && err.code === 'stale_epoch') {
          throw new ApiError('stale_epoch', `tank ${tankId} moved on before this move`, { cause: err });
        }
        throw err;
      }
      // The destination owns it from here on: this copy never runs again.
      host.remove(tankId);
      return { tankId, from: serverId, to: to.serverId, epoch, frame };
    });
    moveViewers(tankId, {
      type: 'moved',
      tank_id: tankId,
      websocket_url: viewerUrl(to.wsUrl, tankId),
      server_id: to.serverId,
      frame: moved.frame,
      epoch: moved.epoch,
    });
    await realtime
      .publish({
        type: 'tank_moved',
        tank_id: tankId,
        from: serverId,
        to: to.serverId,
        epoch: moved.epoch,
        at: new Date().toISOString(),
      })
      .catch((err) =>
        logger.warn({ err: (err as Error).message, tank_id: tankId }, 'could not publish tank_moved'),
      );
    logger.info(
      { tank_id: tankId, to: to.serverId, epoch: moved.epoch, frame: moved.frame },
      'tank handed off',
    );
    return moved;
  };
}
