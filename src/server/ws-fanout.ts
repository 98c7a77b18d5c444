/**
 * @module
 * Writing one prepared frame to many sockets. `ws.send` builds a fresh frame header per call
 * and goes through its options handling; measured on our machine, that is 30–40 % above the
 * floor of one `write` per socket (`bench/ws.ts` measures the broadcast). So a broadcast frames its bytes once with
 * ws's public `Sender.frame` and writes the same buffer to each socket. The write reaches
 * ws's underlying socket (`_socket`), a private field: that dependency lives only here, and
 * `test/server/ws-fanout.test.ts` fails if a ws upgrade moves it. Compression is off on our
 * server, so frames need no per-socket deflate state.
 */
import type { Socket } from 'node:net';
import WebSocket, * as wsModule from 'ws';

/** A binary WebSocket frame (header and payload), ready to write to any server-side socket. */
export type PreparedFrame = Buffer;

/**
 * @example
 * ```ts
 * const frame = prepareBinaryFrame(bytes);
 * for (const ws of viewers) writePrepared(ws, frame);
 * ```
 */
interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

/** ws exports its Sender (with the static `frame`) as a named ESM export; its type package omits it. */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};

export function prepareBinaryFrame(payload: Uint8Array): PreparedFrame {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parts = Sender.frame(data, { fin: true, opcode: 0x02, mask: false, readOnly: true, rsv1: false });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * The prepared frames of the latest two payloads (a broadcast's delta and, for viewers that
 * resync, its keyframe): a tank's viewers are served one after another, so two slots hit for
 * all but the first viewer of each tank, without a lookup per viewer.
 */
export function createFrameCache(): (payload: Uint8Array) => PreparedFrame {
  let last: Uint8Array | undefined;
  let lastFrame: PreparedFrame = Buffer.alloc(0);
  let previous: Uint8Array | undefined;
  let previousFrame: PreparedFrame = lastFrame;
  return function framed(payload) {
    if (payload === last) return lastFrame;
    if (payload === previous) return previousFrame;
    previous = last;
    previousFrame = lastFrame;
    last = payload;
    lastFrame = prepareBinaryFrame(payload);
    return lastFrame;
  };
}

/** The socket under a `ws` WebSocket (an internal of `ws`; undefined if that ever changes). */
export function rawSocket(ws: WebSocket): Socket | undefined {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  return socket && typeof socket.write === 'function' ? socket : undefined;
}

/**
 * Bytes waiting to be sent on a viewer's socket: `ws.bufferedAmount` is the socket's
 * `writableLength` plus what ws's Sender holds back, and the Sender holds data only while it
 * compresses or reads a Blob, neither of which this server does (compression is off, we send
 * strings and buffers). Read from the socket it costs one getter instead of ws's two lookups.
 */
export function queuedBytes(ws: WebSocket, socket: Socket | undefined): number {
  return socket ? socket.writableLength : ws.bufferedAmount;
}

/**
 * Writes a prepared frame to an open socket (`socket`: its `rawSocket`, looked up once per
 * viewer); falls back to `ws.send` when the raw socket is not reachable (a library change), so
 * delivery never depends on the fast path.
 */
export function writePreparedTo(
  ws: WebSocket,
  socket: Socket | undefined,
  frame: PreparedFrame,
  payload: Uint8Array,
): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (socket && !socket.destroyed) {
    socket.write(frame);
    return;
  }
  ws.send(payload, { binary: true });
}

/** `writePreparedTo` with the socket looked up on the spot. */
export function writePrepared(ws: WebSocket, frame: PreparedFrame, payload: Uint8Array): void {
  writePreparedTo(ws, rawSocket(ws), frame, payload);
}

/** True when the fast path is available on this socket (used by the test that guards it). */
export function canWritePrepared(ws: WebSocket): boolean {
  return rawSocket(ws) !== undefined;
}
