/**
 * @module
 * One admitted viewer's traffic (see `ws.ts`): frames out (skipped while its socket is backed
 * up, then a keyframe; closed when it stays behind), replies out (its reading paused while they
 * pile up), and its messages in, checked against its level.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { z } from 'zod';
import { type AuthUser, hasLevel, type PermissionLevel } from '../auth/index.ts';
import type { BroadcastFrame, Tank } from '../tank/index.ts';
import { WsClose } from './ws-close.ts';
import { createFrameCache, queuedBytes, rawSocket, writePreparedTo } from './ws-fanout.ts';
import { ClientMessage, NEEDS, runClientMessage } from './ws-messages.ts';

export interface Viewer {
  ws: WebSocket;
  /** The socket under `ws` (`rawSocket`), looked up once: frames are written to it directly. */
  socket: Socket | undefined;
  tank: Tank;
  user: AuthUser;
  level: PermissionLevel;
  json: boolean;
  needsKeyframe: boolean;
  skipped: number;
  alive: boolean;
  stopWatching: () => void;
}

/** Limits and counters of `createViewerIo`. */
export interface ViewerIoOptions {
  /** Bytes a socket may have queued before frames are skipped for it. */
  maxBufferedBytes: number;
  /** Consecutive skipped frames after which a viewer is closed as too slow. */
  maxSkippedFrames: number;
  onFrameSent: (bytes: number) => void;
  onFrameSkipped: () => void;
}

/**
 * @example
 * ```ts
 * const { deliver, reply, onMessage } = createViewerIo({ maxBufferedBytes, maxSkippedFrames, onFrameSent, onFrameSkipped });
 * viewer.stopWatching = tank.watch((frame) => deliver(viewer, frame));
 * ```
 */
export function createViewerIo({
  maxBufferedBytes,
  maxSkippedFrames,
  onFrameSent,
  onFrameSkipped,
}: ViewerIoOptions) {
  /** The framed bytes of the broadcast being delivered (its delta, and its keyframe if asked). */
  const framed = createFrameCache();

  function deliver(viewer: Viewer, frame: BroadcastFrame): void {
    const { ws, socket } = viewer;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (queuedBytes(ws, socket) > maxBufferedBytes) {
      viewer.needsKeyframe = true;
      onFrameSkipped();
      if (++viewer.skipped > maxSkippedFrames)
        ws.close(WsClose.tooSlow, 'too slow: frames could not be delivered');
      return;
    }
    viewer.skipped = 0;
    if (viewer.json) {
      const text = frame.json();
      ws.send(text);
      onFrameSent(text.length);
      return;
    }
    const bytes = viewer.needsKeyframe ? frame.keyframe() : frame.delta;
    viewer.needsKeyframe = false;
    writePreparedTo(ws, socket, framed(bytes), bytes);
    onFrameSent(bytes.byteLength);
  }

  function reply(viewer: Viewer, message: Record<string, unknown>): void {
    const { ws } = viewer;
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message));
    // Frames are skipped for a viewer that is behind, but replies are not: one that sends
    // faster than it reads them (a pong repeats its ping's id) would have them pile up here
    // without end. Stop reading it until they drain.
    const socket = rawSocket(ws);
    if (ws.isPaused || ws.bufferedAmount <= maxBufferedBytes || !socket) return;
    ws.pause();
    socket.once('drain', () => ws.resume());
  }

  function onMessage(viewer: Viewer, data: WebSocket.RawData, isBinary: boolean): void {
    let message: ClientMessage;
    try {
      if (isBinary) throw new Error('binary messages are not accepted');
      message = ClientMessage.parse(JSON.parse(data.toString()));
    } catch (err) {
      const detail = err instanceof z.ZodError ? 'unknown or malformed message' : (err as Error).message;
      reply(viewer, { type: 'error', code: 'malformed_message', detail });
      viewer.ws.close(WsClose.malformed, 'malformed message');
      return;
    }
    if (!hasLevel(viewer.level, NEEDS[message.type])) {
      reply(viewer, {
        type: 'error',
        code: 'forbidden',
        detail: `${message.type} needs ${NEEDS[message.type]} permission`,
      });
      return;
    }
    const { tank } = viewer;
    if (tank.status === 'failed' && message.type !== 'ping') {
      // As over REST: a world whose step threw is not changed until a snapshot is restored.
      reply(viewer, {
        type: 'error',
        code: 'tank_failed',
        detail: `tank stopped after an error: ${tank.error}`,
      });
      return;
    }
    if (tank.frozen && message.type !== 'ping') {
      // A live move saved the state already: a change now would be lost. The `moved` message follows.
      reply(viewer, { type: 'error', code: 'tank_moving', detail: 'tank is moving to another server' });
      return;
    }
    try {
      reply(viewer, runClientMessage(tank, message));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      reply(viewer, { type: 'error', code, detail: (err as Error).message });
    }
  }

  return { deliver, reply, onMessage };
}
