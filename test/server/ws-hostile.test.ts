/**
 * @module
 * Frames no viewer should send, sent by a client of a tank server: one over the size limit or a
 * text frame that is not UTF-8, before the viewer is admitted (no token, or while its token
 * and level are still being checked) and after. Each closes that socket alone with the code
 * RFC 6455 names (1009, 1007); a viewer of another tank on the same server keeps receiving
 * frames and the server keeps answering HTTP. Before every socket had an `error` listener from
 * the moment it existed, the first such frame threw in the process and ended it. Also what a
 * client could make the server hold: messages sent before admission (bounded, 1008 past it),
 * replies it does not read (it is not read either until they drain), and close reasons naming
 * an id of its choosing (cut to the bytes a close frame may carry).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';
import { upgradeAndSend } from './raw-ws.ts';
import { openViewer, type TestViewer } from './viewer.ts';

const cleanup = useCleanup();
let t: TestServer;
/** The tank the bad frames are sent to. */
let targetId: string;
/** Another tank of the same server, watched throughout by `bystander`. */
let otherId: string;
let bystander: TestViewer;

/** Larger than the server's 16 KiB `maxPayload`. */
const TOO_BIG = 'x'.repeat(20_000);
/** A text frame whose bytes are not UTF-8. */
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
  targetId = await newTank('Target');
  otherId = await newTank('Bystander');
  bystander = openViewer(`${t.server.wsUrl}/ws/${otherId}?token=${await t.token('alice')}`);
  cleanup.add(() => bystander.ws.terminate());
  await waitFor(() => bystander.frames.length > 0, { what: 'the bystander’s first frame', timeout: 20_000 });
});

async function newTank(name: string): Promise<string> {
  const status = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name, seed: 3, initial_fish: 6 },
  });
  return status.tank.tank_id;
}

/** Upgrades to `path` with `payload` as a text frame in the same write (see raw-ws.ts). */
function sendWithUpgrade(path: string, payload: string | Buffer) {
  return upgradeAndSend(`${t.server.wsUrl}${path}`, Buffer.from(payload));
}

/** The bystander still gets frames and the server still answers HTTP. */
async function nobodyElseNoticed(): Promise<void> {
  const seen = bystander.frames.length;
  await waitFor(() => bystander.frames.length >= seen + 3, {
    what: 'three more bystander frames',
    timeout: 10_000,
  });
  expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
  const health = await t.request('/health');
  expect(health.status).toBe(200);
  await health.body?.cancel();
}

describe('hostile WebSocket frames', () => {
  it('should close with 1009 a socket that sends an over-size frame while it is being admitted', async () => {
    const token = await t.token('alice');
    expect(await sendWithUpgrade(`/ws/${targetId}?token=${token}`, TOO_BIG)).toEqual({
      status: 'HTTP/1.1 101 Switching Protocols',
      closeCode: 1009,
    });
    await nobodyElseNoticed();
  });

  it('should close with 1007 a socket that sends text that is not UTF-8 while it is being admitted', async () => {
    const token = await t.token('alice');
    expect(await sendWithUpgrade(`/ws/${targetId}?token=${token}`, NOT_UTF8)).toEqual({
      status: 'HTTP/1.1 101 Switching Protocols',
      closeCode: 1007,
    });
    await nobodyElseNoticed();
  });

  it('should refuse (4401) and survive a socket with no token that sends either', async () => {
    // The server refuses the socket as soon as it exists; the frame is read after that.
    const results = await Promise.all([
      sendWithUpgrade(`/ws/${targetId}`, TOO_BIG),
      sendWithUpgrade(`/ws/${targetId}`, NOT_UTF8),
      sendWithUpgrade('/ws/no-such-tank', TOO_BIG),
    ]);
    for (const result of results) expect(result.closeCode).toBe(4401);
    await nobodyElseNoticed();
  });

  it('should close with 1008 a socket that sends more than 64 KiB before it is admitted', async () => {
    // Messages sent while the token is checked are kept for after; a client must not be able
    // to make that store grow without end (nor one that is refused and keeps sending).
    const ping = (i: number) => Buffer.from(JSON.stringify({ type: 'ping', id: `${i}`.padEnd(15_000, '.') }));
    const token = await t.token('alice');
    const flood = Array.from({ length: 10 }, (_, i) => ping(i));
    expect(
      await upgradeAndSend(`${t.server.wsUrl}/ws/${targetId}?token=${token}`, flood, { timeoutMs: 3000 }),
    ).toEqual({
      status: 'HTTP/1.1 101 Switching Protocols',
      closeCode: 1008,
    });
    // A few messages before admission are still answered once the viewer is in.
    const viewer = openViewer(`${t.server.wsUrl}/ws/${targetId}?token=${token}`);
    cleanup.add(() => viewer.ws.terminate());
    viewer.ws.on('open', () => {
      for (let i = 0; i < 3; i++) viewer.send({ type: 'ping', id: i });
    });
    await waitFor(() => viewer.texts.filter((m) => m.type === 'pong').length === 3, { what: 'three pongs' });
    await nobodyElseNoticed();
  });

  it('should stop reading a viewer that sends faster than it reads the replies, until it catches up', async () => {
    // Each pong repeats the ping's id: 30 MB of pings to a client that reads nothing would be
    // 30 MB of pongs queued on the server, and more for as long as it keeps sending.
    const viewer = openViewer(`${t.server.wsUrl}/ws/${targetId}?token=${await t.token('alice')}&format=json`);
    cleanup.add(() => viewer.ws.terminate());
    await viewer.nextText((m) => m.type === 'hello', 'hello');
    viewer.ws.pause();
    const PINGS = 2000;
    for (let i = 0; i < PINGS; i++) viewer.send({ type: 'ping', id: `${i}`.padEnd(15_000, '.') });
    // Whether the server reads on can only be seen by waiting: it has a second to read 30 MB.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(viewer.ws.bufferedAmount).toBeGreaterThan(10 * 1024 * 1024);
    viewer.ws.resume();
    await waitFor(() => viewer.texts.filter((m) => m.type === 'pong').length === PINGS || undefined, {
      what: 'every pong once the viewer reads again',
      timeout: 30_000,
    });
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('should close with 4404 a socket for an unknown tank whose id is long and not ASCII', async () => {
    // The close reason names the id; cut to 120 characters it was still over the 123 bytes a
    // close frame may carry, so `close()` threw and the client got 1011.
    for (const id of ['é'.repeat(100), '🐟'.repeat(70)]) {
      const viewer = openViewer(
        `${t.server.wsUrl}/ws/${encodeURIComponent(id)}?token=${await t.token('alice')}`,
      );
      cleanup.add(() => viewer.ws.terminate());
      const closed = await viewer.closed;
      expect(closed.code).toBe(4404);
      expect(closed.reason).toMatch(/^tank not found: /);
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    }
  });

  it('should close with 1009 and 1007 an admitted viewer that sends such frames', async () => {
    for (const [data, code] of [
      [TOO_BIG, 1009],
      [NOT_UTF8, 1007],
    ] as const) {
      const viewer = openViewer(`${t.server.wsUrl}/ws/${targetId}?token=${await t.token('alice')}`);
      cleanup.add(() => viewer.ws.terminate());
      await viewer.nextText((m) => m.type === 'hello', 'hello');
      viewer.ws.send(data, { binary: false });
      expect((await viewer.closed).code).toBe(code);
    }
    await nobodyElseNoticed();
  });
});
