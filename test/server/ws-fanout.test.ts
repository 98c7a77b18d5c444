/**
 * @module
 * The guard on the broadcast fast path (`src/server/ws-fanout.ts`): frames are framed once with
 * ws's `Sender.frame` and written to ws's private `_socket`. If a ws upgrade moves either, this
 * fails, rather than every viewer silently falling back to the slower `ws.send`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  canWritePrepared,
  createFrameCache,
  prepareBinaryFrame,
  queuedBytes,
  rawSocket,
  writePrepared,
} from '../../src/server/ws-fanout.ts';
import { createCleanup } from '../support/index.ts';
import { openViewer } from './viewer.ts';

const cleanup = createCleanup();
afterAll(cleanup.run);

describe('prepared WebSocket frames', () => {
  it('should write one prepared frame to several real sockets, byte for byte, over the fast path', async () => {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const http = createServer();
    const serverSockets: WebSocket[] = [];
    http.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        serverSockets.push(ws);
      }),
    );
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanup.add(() => new Promise<void>((resolve) => http.close(() => resolve())));
    cleanup.add(() => http.closeAllConnections());
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    const clients = [openViewer(url), openViewer(url)];
    for (const client of clients) cleanup.add(() => client.ws.terminate());
    await Promise.all(clients.map((c) => once(c.ws, 'open')));
    while (serverSockets.length < 2) await new Promise((resolve) => setImmediate(resolve));

    for (const ws of serverSockets) expect(canWritePrepared(ws)).toBe(true);
    // Lengths that take the 7-bit, 16-bit and 64-bit length headers.
    const payloads = [5, 300, 70_000].map((n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff),
    );
    for (const payload of payloads) {
      const frame = prepareBinaryFrame(payload);
      for (const ws of serverSockets) writePrepared(ws, frame, payload);
    }
    for (const client of clients) {
      while (client.frames.length < payloads.length) await once(client.ws, 'message');
      expect(client.frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(
        payloads.map((p) => Buffer.from(p).toString('hex')),
      );
    }
    // The raw writes left ws's own framing in order: a normal send still arrives intact after them.
    serverSockets[0]!.send(JSON.stringify({ type: 'after' }));
    await clients[0]!.nextText((m) => m.type === 'after', 'a text message after the raw frames');
    expect(clients[0]!.ws.readyState).toBe(WebSocket.OPEN);

    // Backpressure is read from the socket: it must be ws's bufferedAmount, also while backed up.
    const slow = serverSockets[1]!;
    (clients[1]!.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = new Uint8Array(256 * 1024);
    const bigFrame = prepareBinaryFrame(big);
    for (let i = 0; i < 256 && slow.bufferedAmount === 0; i++) {
      writePrepared(slow, bigFrame, big);
      slow.send('text through ws too');
    }
    expect(slow.bufferedAmount).toBeGreaterThan(0);
    for (const ws of serverSockets) expect(queuedBytes(ws, rawSocket(ws))).toBe(ws.bufferedAmount);
  });

  it('should frame a payload once and serve it again while it is one of the latest two', () => {
    const framed = createFrameCache();
    const delta = Uint8Array.of(1, 2, 3);
    const keyframe = Uint8Array.of(4, 5, 6, 7);
    const first = framed(delta);
    expect(first).toEqual(prepareBinaryFrame(delta));
    expect(framed(keyframe)).toEqual(prepareBinaryFrame(keyframe));
    expect(framed(delta)).toBe(first);
    // Equal bytes in another array (the next broadcast) are framed anew, not taken for the old.
    const next = Uint8Array.of(9);
    expect(framed(next)).toEqual(prepareBinaryFrame(next));
    expect(framed(Uint8Array.of(1, 2, 3))).not.toBe(first);
  });
});
