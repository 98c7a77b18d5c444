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

/** The socket under a `ws` WebSocket (an internal of `ws`; undefined if that ever changes). */
export function rawSocket(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

/**
 * Writes a prepared frame to an open socket; falls back to `ws.send` when the raw socket is not
 * reachable (a library change), so delivery never depends on the fast path.
 */
export function writePrepared(ws: WebSocket, frame: PreparedFrame, payload: Uint8Array): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const socket = rawSocket(ws);
  if (socket && typeof socket.write === 'function' && !socket.destroyed) {
    socket.write(frame);
    return;
  }
  ws.send(payload, { binary: true });
}

/** True when the fast path is available on this socket (used by the test that guards it). */
export function canWritePrepared(ws: WebSocket): boolean {
  const socket = rawSocket(ws);
  return !!socket && typeof socket.write === 'function';
}
