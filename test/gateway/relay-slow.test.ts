/**
 * @module
 * Backpressure through the WebSocket relay: a relayed client that stops reading gets its
 * upstream paused once `highWaterBytes` wait for it at the gateway, so the tank server sees its
 * own socket back up and skips frames for that viewer (instead of the gateway queueing them);
 * reading again, it resumes from a keyframe, every frame decoding; one that stays behind is
 * closed 4408. Frames are pumped by hand on a paused tank, so megabytes go through in moments.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { spawnFood } from '../../src/sim/index.ts';
import type { Tank } from '../../src/tank/index.ts';
import { createFrameDecoder } from '../../src/tank/wire/index.ts';
import { openViewer, type TestViewer } from '../server/viewer.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const HIGH_WATER = 16 * 1024;
const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let tank: Tank;

beforeAll(async () => {
  stack = await startGatewayStack({
    cleanup,
    gateway: { relay: { highWaterBytes: HIGH_WATER, lowWaterBytes: 4 * 1024, stallMs: 600_000 } },
  });
  const created = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Busy', is_public: true, initial_fish: 60 },
  });
  tankId = created.tank.tank_id;
  await stack.json(`/api/tanks/${tankId}/pause`, 200, { method: 'POST', user: 'alice' });
  tank = stack.servers[0]!.server.host.get(tankId)!;
  // Hundreds of entities, so each keyframe pumped is kilobytes and the kernel's buffers fill soon.
  for (let i = 0; i < 3; i++) spawnFood(tank.world, { count: 50 });
}, 60_000);

async function relayed(via: Gateway): Promise<TestViewer> {
  const token = await mintToken({ secret: SECRET, userId: 'bob' });
  const viewer = openViewer(`${via.url.replace(/^http/, 'ws')}/ws/${tankId}?token=${token}`);
  cleanup.add(() => viewer.ws.terminate());
  await viewer.nextText((m) => m.type === 'hello', 'hello');
  await waitFor(() => viewer.frames.length > 0, { what: 'the first keyframe' });
  return viewer;
}

function pause(viewer: TestViewer): Socket {
  const socket = (viewer.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return socket;
}

/** Steps and broadcasts `frames` keyframes by hand, yielding to I/O now and then. */
async function pump(frames: number): Promise<void> {
  for (let i = 0; i < frames; i++) {
    tank.step();
    // A fresh encoder each time: every frame broadcast is a keyframe.
    tank.replaceWorld(tank.world, { paused: true });
    if (i % 10 === 9) await yieldToIo();
  }
}

async function skippedByServer(): Promise<number> {
  const text = await (await stack.servers[0]!.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith('tankworld_frames_skipped_total'));
  return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? 0);
}

function decodesEveryFrame(frames: Uint8Array[]): unknown {
  const decoder = createFrameDecoder();
  let last: unknown = null;
  for (const [i, bytes] of frames.entries()) {
    last = decoder.decode(bytes);
    if (last === null) throw new Error(`frame ${i} of ${frames.length} did not follow`);
  }
  return last;
}

describe('a slow client behind the relay', () => {
  it('should make the server skip frames for it, then resume it from a keyframe', async () => {
    const slow = await relayed(stack.gateway);
    const fast = await relayed(stack.gateway);
    const fastBefore = fast.frames.length;
    const slowBefore = slow.frames.length;
    pause(slow);
    const skippedBefore = await skippedByServer();
    let pumped = 0;
    // A few skipped, well short of the server's 150 in a row that would close the upstream 4408.
    while ((await skippedByServer()) - skippedBefore < 20) {
      await pump(10);
      pumped += 10;
      if (pumped > 50_000) throw new Error(`the server skipped nothing after ${pumped} frames`);
    }
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    // Until the backlog in the kernel's buffers has drained and the server sends it frames again.
    const last = (frames: Uint8Array[]) => Buffer.from(frames[frames.length - 1]!);
    await waitFor(
      async () => {
        await pump(5);
        pumped += 5;
        await sleep(20);
        return last(slow.frames).equals(last(fast.frames));
      },
      { what: 'the slow client to catch up with the last frame', timeout: 30_000 },
    );
    await waitFor(() => fast.frames.length - fastBefore === pumped, {
      what: 'every frame at the reading client',
    });
    // It missed frames (skipped upstream, not queued at the gateway), and what it got decodes.
    expect(slow.frames.length - slowBefore).toBeLessThan(pumped);
    expect(decodesEveryFrame(slow.frames)).toEqual(decodesEveryFrame(fast.frames));
    expect(slow.ws.readyState).toBe(slow.ws.OPEN);
  });

  it('should close a client that stays backed up with 4408', async () => {
    const strict = await stack.addGateway('gateway-strict', {
      relay: { highWaterBytes: HIGH_WATER, lowWaterBytes: 4 * 1024, stallMs: 300 },
    });
    const slow = await relayed(strict);
    const socket = pause(slow);
    const watching = tank.viewerCount;
    let pumped = 0;
    // Until the relay (or the server) has let go of the upstream for it.
    while (tank.viewerCount >= watching) {
      await pump(50);
      await sleep(20);
      pumped += 50;
      if (pumped > 50_000) throw new Error(`still watching after ${pumped} frames`);
    }
    socket.resume();
    expect((await slow.closed).code).toBe(4408);
  });
});
