/**
 * @module
 * The slow-client guard of the viewer sockets (`createViewerSockets`), with a real `ws` client
 * whose socket stops reading (paused): once the kernel buffers are full, the server's queue for
 * that client stops growing at the sockets' bound and frames are skipped for it alone; when it
 * reads again it resumes from a keyframe, and one that stays behind is closed with 4408. The
 * sockets run on their own HTTP server with a small bound, and frames are pumped by hand so
 * megabytes go through in a moment instead of minutes at 15 Hz.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import { createViewerSockets } from '../../src/server/ws.ts';
import { createWorld, spawnFood } from '../../src/sim/index.ts';
import { createTank, type Tank } from '../../src/tank/index.ts';
import { createFrameDecoder } from '../../src/tank/wire/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { createCleanup, waitFor } from '../support/index.ts';
import { SECRET } from './fixture.ts';
import { openViewer, type TestViewer } from './viewer.ts';

const MAX_BUFFERED = 32 * 1024;
const cleanup = createCleanup();
afterEach(cleanup.run);

interface Rig {
  tank: Tank;
  /** Server-side sockets in the order viewers connected. */
  sockets: Socket[];
  skipped: () => number;
  viewer(): Promise<TestViewer>;
  /** Steps and broadcasts `frames` times, yielding to I/O now and then; returns the largest queue seen on `watched`. */
  pump(frames: number, watched?: Socket): Promise<number>;
  /** Largest frame written so far (framed bytes are a few more). */
  largestFrame: () => number;
}

async function rig({ maxSkippedFrames }: { maxSkippedFrames: number }): Promise<Rig> {
  // A busy tank: 100 fish and food, a keyframe every 5 frames, so frames are a kilobyte or more.
  const world = createWorld({ seed: 99, uidPrefix: 'slow', initialFish: 100, maxFish: 150 });
  for (let i = 0; i < 2; i++) spawnFood(world, { count: 50 });
  const tank = createTank({
    id: 'slow-tank',
    world,
    keyframeEvery: 5,
    meta: {
      name: 'Slow',
      description: '',
      owner: 'alice',
      is_public: true,
      allow_transfers: true,
      seed: 99,
      created_at: new Date().toISOString(),
    },
  });
  let skipped = 0;
  let largest = 0;
  const viewers = createViewerSockets({
    logger: createLogger({ level: 'silent' }),
    verifier: createTokenVerifier({ secret: SECRET }),
    findTank: async (id) => (id === tank.id ? tank : undefined),
    levelOf: async () => 'read',
    maxBufferedBytes: MAX_BUFFERED,
    maxSkippedFrames,
    onFrameSkipped: () => skipped++,
    onFrameSent: (bytes) => {
      largest = Math.max(largest, bytes);
    },
  });
  const sockets: Socket[] = [];
  const http: Server = createServer();
  http.on('upgrade', (req, socket, head) => {
    sockets.push(socket as Socket);
    if (!viewers.handleUpgrade(req, socket, head)) socket.destroy();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanup.add(() => new Promise<void>((resolve) => http.close(() => resolve())));
  cleanup.add(() => http.closeAllConnections());
  cleanup.add(() => viewers.close());
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws/${tank.id}`;
  const token = await mintToken({ secret: SECRET, userId: 'alice' });

  return {
    tank,
    sockets,
    skipped: () => skipped,
    largestFrame: () => largest,
    async viewer() {
      const viewer = openViewer(`${url}?token=${token}`);
      cleanup.add(() => viewer.ws.terminate());
      await viewer.nextText((m) => m.type === 'hello', 'hello');
      return viewer;
    },
    async pump(frames, watched) {
      let most = 0;
      for (let i = 0; i < frames; i++) {
        tank.step();
        tank.broadcast();
        if (watched) most = Math.max(most, watched.writableLength);
        if (i % 10 === 9) await yieldToIo();
      }
      return most;
    },
  };
}

/** The client's own socket: pausing it stops reads, so the server's writes back up. */
function clientSocket(viewer: TestViewer): Socket {
  return (viewer.ws as unknown as { _socket: Socket })._socket;
}

function decodesEveryFrame(frames: Uint8Array[]): number {
  const decoder = createFrameDecoder();
  for (const [i, bytes] of frames.entries()) {
    if (decoder.decode(bytes) === null) throw new Error(`frame ${i} of ${frames.length} did not follow`);
  }
  return frames.length;
}

describe('slow WebSocket viewers', () => {
  it('should skip frames for a client that does not read, keep its queue bounded, and feed the others every frame', async () => {
    const r = await rig({ maxSkippedFrames: 1_000_000 });
    const slow = await r.viewer();
    const fast = await r.viewer();
    const [slowSocket] = r.sockets;
    clientSocket(slow).pause();

    // Pump until the kernel buffers are full and the guard has skipped plenty of frames.
    let pumped = 0;
    let most = 0;
    while (r.skipped() < 200) {
      most = Math.max(most, await r.pump(100, slowSocket));
      pumped += 100;
      if (pumped > 100_000) throw new Error(`no frame skipped after ${pumped} frames`);
    }
    // Without the guard the queue grows by every frame sent; with it, by at most one past the bound.
    expect(most).toBeGreaterThan(MAX_BUFFERED);
    expect(most).toBeLessThanOrEqual(MAX_BUFFERED + r.largestFrame() + 16);
    most = Math.max(most, await r.pump(500, slowSocket));
    expect(most).toBeLessThanOrEqual(MAX_BUFFERED + r.largestFrame() + 16);

    // The reading client got every frame, and each decodes.
    await waitFor(() => fast.frames.length === pumped + 500, {
      what: `all ${pumped + 500} frames at the reading client (has ${fast.frames.length})`,
    });
    expect(decodesEveryFrame(fast.frames)).toBe(pumped + 500);
    expect(slow.ws.readyState).toBe(slow.ws.OPEN);
  });

  it('should resume a client that reads again with a keyframe, so every frame it gets decodes', async () => {
    const r = await rig({ maxSkippedFrames: 1_000_000 });
    const slow = await r.viewer();
    const fast = await r.viewer();
    clientSocket(slow).pause();
    let pumped = 0;
    while (r.skipped() < 50) {
      await r.pump(100);
      pumped += 100;
      if (pumped > 100_000) throw new Error(`no frame skipped after ${pumped} frames`);
    }
    clientSocket(slow).resume();
    await waitFor(() => r.sockets[0]!.writableLength === 0, { what: 'the slow client to drain its queue' });
    await r.pump(40);
    await waitFor(() => fast.frames.length === pumped + 40, { what: 'every frame at the reading client' });
    await waitFor(() => slow.frames.length > 0 && slow.frames.length + r.skipped() === pumped + 40, {
      what: 'the slow client to have every frame that was not skipped',
    });
    expect(decodesEveryFrame(slow.frames)).toBeLessThan(pumped + 40);
    // Both end on the same frame of the same world.
    const last = (frames: Uint8Array[]) => {
      const decoder = createFrameDecoder();
      let frame = null;
      for (const bytes of frames) frame = decoder.decode(bytes);
      return frame;
    };
    expect(last(slow.frames)).toEqual(last(fast.frames));
  });

  it('should close a client that stays behind with 4408, and stop writing to it', async () => {
    const r = await rig({ maxSkippedFrames: 30 });
    const slow = await r.viewer();
    const [slowSocket] = r.sockets;
    clientSocket(slow).pause();
    let pumped = 0;
    while (r.skipped() <= 30) {
      await r.pump(50);
      pumped += 50;
      if (pumped > 100_000) throw new Error(`no frame skipped after ${pumped} frames`);
    }
    // Closing: nothing more is queued for it however many frames follow.
    const queued = slowSocket!.writableLength;
    await r.pump(200);
    expect(slowSocket!.writableLength).toBeLessThanOrEqual(queued + 64);
    expect(r.tank.viewerCount).toBe(1);
    clientSocket(slow).resume();
    expect((await slow.closed).code).toBe(4408);
    await waitFor(() => r.tank.viewerCount === 0, { what: 'the viewer to be removed from the tank' });
  });
});
