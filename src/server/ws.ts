/**
 * @module
 * Direct WebSockets from browsers to the tank's own server: `/ws/<tank_id>?token=…`.
 * The socket lives here, at the edge; tanks only hand out frames. Each broadcast frame is
 * framed once and the same bytes go to every viewer; a viewer whose socket is backed up skips
 * frames (and resyncs with a keyframe) instead of growing a buffer, and is closed if it stays
 * behind; one that does not read its replies is not read until it does. Every socket has an
 * `error` listener from the moment it exists, so a frame `ws` refuses closes that socket alone.
 * Close codes are named in `WsClose` (`ws-close.ts`). Here: the upgrade, the viewer set and the
 * heartbeat; admission (token, tank, level, connection limits) is `ws-admit.ts`, and one
 * admitted viewer's traffic `ws-viewer.ts`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import {
  type AuthUser,
  type InternalVerifier,
  type PermissionLevel,
  SignatureHeader,
  type TokenVerifier,
} from '../auth/index.ts';
import type { ApiError } from '../http/index.ts';
import { type ConnectionLimit, createConnectionLimit, peerAddress } from '../limits/index.ts';
import type { Tank } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { createAdmission } from './ws-admit.ts';
import { closeReason, fencedMessage, WsClose } from './ws-close.ts';
import { rawSocket } from './ws-fanout.ts';
import { refuseUpgrade, signedByGateway } from './ws-upgrade.ts';
import { createViewerIo, type Viewer } from './ws-viewer.ts';

export { refuseUpgrade, WsClose };

export interface ViewerSocketsOptions {
  logger: Logger;
  verifier: TokenVerifier;
  /** The tank if it runs here (or is adopted on the spot, see `TankService.find`). */
  findTank: (tankId: string) => Promise<Tank | undefined>;
  /** The caller's level on a tank (public tanks give every user `read`). */
  levelOf: (user: AuthUser, tank: Tank) => Promise<PermissionLevel | undefined>;
  /** Bytes a socket may have queued before frames are skipped for it. */
  maxBufferedBytes?: number;
  /** Bytes of messages kept while a viewer is being admitted; a socket that sends more is closed (1008). */
  maxEarlyBytes?: number;
  /** Consecutive skipped frames after which a viewer is closed as too slow. */
  maxSkippedFrames?: number;
  heartbeatMs?: number;
  onViewerCount?: (count: number) => void;
  onFrameSent?: (bytes: number) => void;
  onFrameSkipped?: () => void;
  /** Open sockets per user and per client address; refused: HTTP 429 before the upgrade, or 4429. */
  connections?: ConnectionLimit;
  /**
   * The error while this server is fenced (its lease ran out, `lease.ts`), read synchronously
   * on every upgrade, admission and message; `undefined` while it holds its lease.
   */
  fenced?: () => ApiError | undefined;
  /**
   * Checks the internal signature a gateway's relay puts on its upgrades: a verified one is not
   * counted per client address (the address is the gateway's, shared by all it relays; the
   * gateway counted the real client), only per user at admission. Without it none is exempt.
   */
  internalVerifier?: InternalVerifier;
  /** The tank's tubes, told in the `hello` message (`src/server/tubes`); none when absent. */
  tubesOf?: (tankId: string) => unknown[];
}

/**
 * The tank server's WebSocket endpoint for viewers (`/ws/<tank id>`): it authenticates each
 * upgrade, then fans the tank's frames out to its sockets. It runs in the tank server, not in
 * the gateway (which only tells a client which server's URL to open).
 *
 * @example
 * ```ts
 * const viewers = createViewerSockets({ logger, verifier, findTank: async (id) => host.get(id), levelOf });
 * httpServer.on('upgrade', (req, socket, head) => viewers.handleUpgrade(req, socket, head));
 * ```
 */
export function createViewerSockets({
  logger,
  verifier,
  findTank,
  levelOf,
  maxBufferedBytes = 256 * 1024,
  maxEarlyBytes = 64 * 1024,
  maxSkippedFrames = 150,
  heartbeatMs = 30_000,
  onViewerCount = () => {},
  onFrameSent = () => {},
  onFrameSkipped = () => {},
  connections = createConnectionLimit({ name: 'ws', perUser: 0, perAddress: 0 }),
  fenced = () => undefined,
  internalVerifier,
  tubesOf = () => [],
}: ViewerSocketsOptions) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 });
  const viewers = new Set<Viewer>();
  const { deliver, reply, onMessage } = createViewerIo({
    maxBufferedBytes,
    maxSkippedFrames,
    onFrameSent,
    onFrameSkipped,
  });

  /** Tells a viewer its tank stopped here and where to look it up, then closes (4503). */
  function fence(viewer: Viewer, err: ApiError): void {
    if (viewer.ws.readyState !== WebSocket.OPEN) return;
    viewer.stopWatching();
    reply(viewer, fencedMessage(viewer.tank, err));
    viewer.ws.close(WsClose.fenced, closeReason('server fenced: look the tank up at the gateway'));
  }

  function attach(
    ws: WebSocket,
    tank: Tank,
    user: AuthUser,
    level: PermissionLevel,
    json: boolean,
    early: Array<[WebSocket.RawData, boolean]>,
  ): void {
    const viewer: Viewer = {
      ws,
      socket: rawSocket(ws),
      tank,
      user,
      level,
      json,
      needsKeyframe: true,
      skipped: 0,
      alive: true,
      stopWatching: () => {},
    };
    viewers.add(viewer);
    onViewerCount(viewers.size);
    ws.on('pong', () => {
      viewer.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      // Checked per message: a command must not reach a tank this server may no longer own.
      const refusal = fenced();
      if (refusal) fence(viewer, refusal);
      else onMessage(viewer, data, isBinary);
    });
    ws.on('close', () => {
      viewer.stopWatching();
      viewers.delete(viewer);
      onViewerCount(viewers.size);
    });
    reply(viewer, {
      type: 'hello',
      tank_id: tank.id,
      frame: tank.world.frame,
      level,
      format: json ? 'json' : 'binary',
      status: tank.status,
      tubes: tubesOf(tank.id),
    });
    const refusal = fenced();
    if (refusal) {
      // Fenced while this viewer was being admitted.
      fence(viewer, refusal);
      return;
    }
    for (const [data, isBinary] of early) onMessage(viewer, data, isBinary);
    if (ws.readyState === WebSocket.OPEN) viewer.stopWatching = tank.watch((frame) => deliver(viewer, frame));
  }

  /**
   * Counts the upgrade (per client address unless the gateway signed it), then hands it to `ws`.
   * The user's own limit is applied at admission (`ws-admit.ts`), signed or not.
   */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, signed: boolean): void {
    let release = () => {};
    try {
      if (!signed) release = connections.open({ address: peerAddress(req) });
    } catch (err) {
      refuseUpgrade(socket, err);
      return;
    }
    // The socket, not the WebSocket: a handshake that fails closes it too.
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Before anything else: a frame `ws` refuses (over `maxPayload`, text that is not
      // UTF-8) is an 'error' on the socket, and one with no listener ends the process. With
      // a listener, `ws` closes that socket itself with the code the frame earned (1009,
      // 1007); the frame may arrive while the viewer is still being admitted.
      ws.on('error', (err) => logger.debug({ err, path: req.url?.split('?')[0] }, 'viewer socket error'));
      admit(req, ws).catch((err) => {
        logger.error({ err }, 'viewer admission failed');
        ws.close(1011, 'internal error');
      });
    });
  }

  /** A signed upgrade (a gateway's relay): counted once its signature is checked. */
  async function upgradeSigned(
    verifier: InternalVerifier,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const signed = await signedByGateway({ verifier, req, socket, logger });
    if (signed === undefined) return;
    // Fenced while the signature was checked: refused as before it.
    const refusal = fenced();
    if (refusal) refuseUpgrade(socket, refusal);
    else upgrade(req, socket, head, signed);
  }

  const admit = createAdmission({ verifier, findTank, levelOf, connections, maxEarlyBytes, attach });

  const heartbeat = setInterval(() => {
    for (const viewer of viewers) {
      if (!viewer.alive) {
        viewer.ws.terminate();
        continue;
      }
      viewer.alive = false;
      viewer.ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  return {
    /** True when this upgrade is ours (path `/ws/…`); the caller destroys other upgrades. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      if (!req.url?.startsWith('/ws/')) return false;
      const refusal = fenced();
      if (refusal) {
        refuseUpgrade(socket, refusal);
        return true;
      }
      if (internalVerifier && req.headers[SignatureHeader.signature] !== undefined)
        upgradeSigned(internalVerifier, req, socket, head).catch((err) => {
          logger.error({ err }, 'signed upgrade failed');
          socket.destroy();
        });
      else upgrade(req, socket, head, false);
      return true;
    },
    /**
     * Looks a user's level on a tank up again after a grant or revoke: their viewers left with
     * none are closed (4403), the others keep watching with the new level for their messages.
     */
    async recheck(tankId: string, userId: string): Promise<void> {
      for (const viewer of [...viewers]) {
        if (viewer.tank.id !== tankId || viewer.user.userId !== userId) continue;
        const level = await levelOf(viewer.user, viewer.tank);
        if (level) viewer.level = level;
        else viewer.ws.close(WsClose.forbidden, closeReason(`no read permission on tank ${tankId}`));
      }
    },
    /** The server was fenced: every viewer gets a `fenced` message and close 4503. */
    fenceAll(err: ApiError): void {
      for (const viewer of [...viewers]) fence(viewer, err);
    },
    /**
     * Tells every viewer of a tank handed off in a live move where it went (`message`, see
     * `hand-off.ts`), then closes it with `moved` (4307): the client reconnects there.
     */
    moveTank(tankId: string, message: { websocket_url: string; server_id: string }): void {
      for (const viewer of viewers) {
        if (viewer.tank.id !== tankId) continue;
        viewer.stopWatching();
        if (viewer.ws.readyState === WebSocket.OPEN) viewer.ws.send(JSON.stringify(message));
        viewer.ws.close(WsClose.moved, closeReason(`tank moved to ${message.server_id}`));
      }
    },
    /** Sends a JSON message to every viewer of a tank (a fish left or arrived through a tube). */
    tell(tankId: string, message: Record<string, unknown>): void {
      for (const viewer of viewers) if (viewer.tank.id === tankId) reply(viewer, message);
    },
    /** Closes every viewer of a tank that left this server. */
    closeTank(tankId: string, reason: string): void {
      for (const viewer of viewers)
        if (viewer.tank.id === tankId) viewer.ws.close(WsClose.tankGone, closeReason(reason));
    },
    get count(): number {
      return viewers.size;
    },
    async close(): Promise<void> {
      clearInterval(heartbeat);
      for (const viewer of viewers) viewer.ws.close(WsClose.goingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type ViewerSockets = ReturnType<typeof createViewerSockets>;
