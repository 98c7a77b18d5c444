/**
 * @module
 * Live viewers of a tank server over real WebSockets (`ws` clients against the server's HTTP
 * port): binary frames decoded with the client decoder from `src/tank/wire`, identical bytes
 * for every subscriber, JSON frames, client commands, and each close code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WsClose } from '../../src/server/index.ts';
import { createFrameDecoder, type TankFrame } from '../../src/tank/wire/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';
import { opened, openViewer, type TestViewer } from './viewer.ts';

const cleanup = useCleanup();
let t: TestServer;
/** A running public tank of alice's. */
let tankId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
  tankId = await newTank({ name: 'Live', seed: 11, initial_fish: 12 });
});

async function newTank(body: Record<string, unknown>): Promise<string> {
  const status = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body,
  });
  return status.tank.tank_id;
}

async function view(id: string, { user = 'alice', query = '' } = {}): Promise<TestViewer> {
  const viewer = openViewer(`${t.server.wsUrl}/ws/${id}?token=${await t.token(user)}${query}`);
  cleanup.add(() => viewer.ws.terminate());
  return viewer;
}

function decodeAll(frames: Uint8Array[]): TankFrame[] {
  const decoder = createFrameDecoder();
  return frames.map((bytes, i) => {
    const frame = decoder.decode(bytes);
    if (!frame) throw new Error(`frame ${i} could not be decoded (the decoder wants a keyframe)`);
    return frame;
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('tank viewers over WebSocket', () => {
  it('should greet a viewer with hello, then send binary frames the decoder reads, in which fish move', async () => {
    const viewer = await view(tankId);
    const hello = await viewer.nextText((m) => m.type === 'hello', 'hello');
    expect(hello).toMatchObject({ tank_id: tankId, level: 'admin', format: 'binary', status: 'running' });
    await waitFor(() => viewer.frames.length >= 20, { what: '20 frames', timeout: 20_000 });
    const frames = decodeAll(viewer.frames.slice(0, 20));
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.frame).toBeGreaterThan(frames[i - 1]!.frame);
    const first = new Map(frames[0]!.fish.map((f) => [f.id, f]));
    const last = frames.at(-1)!;
    expect(first.size).toBeGreaterThanOrEqual(10);
    const moved = last.fish.filter((f) => {
      const was = first.get(f.id);
      return was && Math.hypot(f.x - was.x, f.y - was.y) > 1;
    });
    expect(moved.length).toBeGreaterThan(first.size / 2);
    viewer.close();
    expect((await viewer.closed).code).toBe(1005);
  });

  it('should show a viewer the same world the REST API shows', async () => {
    const id = await newTank({ name: 'Still', seed: 5, initial_fish: 9 });
    await t.json(`/api/tanks/${id}/pause`, 200, { method: 'POST', user: 'alice' });
    // A paused tank is not ticking: it sends a joining viewer one keyframe at once.
    const viewer = await view(id);
    await waitFor(() => viewer.frames.length >= 1, { what: 'the keyframe of a paused tank' });
    const [frame] = decodeAll(viewer.frames);
    const rest = await t.json<{
      frame: number;
      entities: Array<{ kind: string; id: number; x: number; y: number }>;
    }>(`/api/tanks/${id}/entities?kind=fish`, 200, { user: 'alice' });
    expect(frame!.frame).toBe(rest.frame);
    expect(frame!.fish.map((f) => f.id).sort()).toEqual(rest.entities.map((e) => e.id).sort());
    for (const fish of rest.entities) {
      const seen = frame!.fish.find((f) => f.id === fish.id)!;
      // Quantised to 1/32 px on the wire, rounded to 0.01 px by REST.
      expect(Math.abs(seen.x - fish.x)).toBeLessThan(0.05);
      expect(Math.abs(seen.y - fish.y)).toBeLessThan(0.05);
    }
  });

  it('should send two subscribers identical bytes for the same frame', async () => {
    const a = await view(tankId);
    const b = await view(tankId);
    await waitFor(() => a.frames.length >= 20 && b.frames.length >= 20, {
      what: '20 frames to each viewer',
      timeout: 20_000,
    });
    const byFrame = (v: TestViewer) => {
      const decoded = decodeAll(v.frames);
      // A viewer's first frame is its own keyframe; from then on everyone shares the deltas.
      return new Map(decoded.slice(1).map((f, i) => [f.frame, hex(v.frames[i + 1]!)]));
    };
    const fromA = byFrame(a);
    const fromB = byFrame(b);
    const common = [...fromA.keys()].filter((frame) => fromB.has(frame));
    expect(common.length).toBeGreaterThanOrEqual(15);
    for (const frame of common) expect(fromB.get(frame), `frame ${frame}`).toBe(fromA.get(frame));
  });

  it('should send JSON frames with ?format=json', async () => {
    const viewer = await view(tankId, { query: '&format=json' });
    await waitFor(() => viewer.texts.length >= 6, { what: 'five JSON frames after hello' });
    expect(viewer.frames).toHaveLength(0);
    const [hello, ...frames] = viewer.texts as [Record<string, unknown>, ...TankFrame[]];
    expect(hello).toMatchObject({ type: 'hello', format: 'json' });
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.frame).toBeGreaterThan(frames[i - 1]!.frame);
    const fish = frames[0]!.fish;
    expect(fish.length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(fish[0]!).sort()).toEqual(
      ['energy', 'hue', 'id', 'pattern', 'pokerAmount', 'pokerEffect', 'size', 'vx', 'vy', 'x', 'y'].sort(),
    );
  });

  it('should answer ping with pong and carry out spawn_food and pause/resume for a writer', async () => {
    const id = await newTank({ name: 'Commands', initial_fish: 3 });
    const viewer = await view(id);
    // Sent as soon as the socket opens, while the server is still checking the token: kept and
    // answered once the viewer is admitted, not lost.
    await opened(viewer);
    viewer.send({ type: 'ping', id: 'p1' });
    const pong = await viewer.nextText((m) => m.type === 'pong', 'pong');
    expect(pong).toMatchObject({ id: 'p1' });
    expect(typeof pong.frame).toBe('number');

    viewer.send({ type: 'pause' });
    await viewer.nextText((m) => m.type === 'ack' && m.command === 'pause', 'pause ack');
    expect(t.server.host.get(id)!.status).toBe('paused');
    const food = t.server.host.get(id)!.world.food.count;
    viewer.send({ type: 'spawn_food', count: 4 });
    await viewer.nextText((m) => m.type === 'ack' && m.command === 'spawn_food', 'spawn_food ack');
    expect(t.server.host.get(id)!.world.food.count).toBe(food + 4);
    viewer.send({ type: 'spawn_fish', genome: { speed: 1.1 } });
    const spawned = await viewer.nextText((m) => m.type === 'ack' && m.command === 'spawn_fish', 'spawn ack');
    expect(typeof spawned.uid).toBe('string');
    viewer.send({ type: 'resume' });
    await viewer.nextText((m) => m.type === 'ack' && m.command === 'resume', 'resume ack');
    expect(t.server.host.get(id)!.status).toBe('running');
  });

  it('should refuse commands a reader may not give, and keep the reader watching', async () => {
    const viewer = await view(tankId, { user: 'bob' });
    const hello = await viewer.nextText((m) => m.type === 'hello', 'hello');
    expect(hello.level).toBe('read');
    viewer.send({ type: 'pause' });
    const refused = await viewer.nextText((m) => m.type === 'error', 'an error reply');
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect(t.server.host.get(tankId)!.status).toBe('running');
    const seen = viewer.frames.length;
    await waitFor(() => viewer.frames.length > seen + 2, { what: 'frames still coming' });
    expect(viewer.ws.readyState).toBe(viewer.ws.OPEN);
  });

  it('should reply with the error of a command the sim refuses, and keep the socket open', async () => {
    const viewer = await view(tankId);
    await opened(viewer);
    viewer.send({ type: 'spawn_fish', genome: { speed: 9 } });
    const error = await viewer.nextText((m) => m.type === 'error', 'an error reply');
    expect(error.code).toBe('invalid_genome');
    viewer.send({ type: 'ping' });
    await viewer.nextText((m) => m.type === 'pong', 'pong after the error');
  });

  it('should keep every viewer decoding when a snapshot restore takes the world back in time', async () => {
    const id = await newTank({ name: 'Rewind', seed: 8, initial_fish: 6 });
    const snapshot = await t.json<{ snapshot_id: string; frame: number }>(`/api/tanks/${id}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    });
    const viewer = await view(id);
    await waitFor(() => viewer.frames.length >= 5, { what: 'five frames before the restore' });
    const before = decodeAll(viewer.frames).at(-1)!.frame;
    expect(before).toBeGreaterThan(snapshot.frame);
    await t.json(`/api/tanks/${id}/snapshots/${snapshot.snapshot_id}/restore`, 200, {
      method: 'POST',
      user: 'alice',
    });
    const seen = viewer.frames.length;
    await waitFor(() => viewer.frames.length >= seen + 5, { what: 'five frames after the restore' });
    // Every frame decodes, and the frame numbers restart from the snapshot's.
    const frames = decodeAll(viewer.frames).map((f) => f.frame);
    const rewound = frames.findIndex((f, i) => i > 0 && f < frames[i - 1]!);
    expect(rewound).toBeGreaterThan(0);
    expect(frames[rewound]!).toBeLessThan(before);
    expect(frames[rewound]!).toBeGreaterThanOrEqual(snapshot.frame);
  });

  it('should keep the viewers of a paused tank decoding when another viewer joins', async () => {
    const id = await newTank({ name: 'Quiet', initial_fish: 4 });
    await t.json(`/api/tanks/${id}/pause`, 200, { method: 'POST', user: 'alice' });
    const first = await view(id);
    await waitFor(() => first.frames.length >= 1, { what: 'the first viewer’s keyframe' });
    const second = await view(id);
    await waitFor(() => second.frames.length >= 1, { what: 'the second viewer’s keyframe' });
    await t.json(`/api/tanks/${id}/food`, 201, { method: 'POST', user: 'alice', body: { count: 2 } });
    const third = await view(id);
    await waitFor(() => third.frames.length >= 1, { what: 'the third viewer’s keyframe' });
    await waitFor(() => first.frames.length >= 3 && second.frames.length >= 2, {
      what: 'each join to reach the viewers already there',
    });
    for (const v of [first, second, third]) {
      const frames = decodeAll(v.frames);
      expect(frames.at(-1)!.food.length).toBe(t.server.host.get(id)!.world.food.count);
    }
  });

  it('should close with 4404 for a tank that is not on this server', async () => {
    const viewer = await view('00000000-0000-4000-8000-000000000000');
    expect((await viewer.closed).code).toBe(WsClose.unknownTank);
    expect(viewer.frames).toHaveLength(0);
  });

  it('should close with 4404 for a tank id that does not even decode', async () => {
    const viewer = openViewer(`${t.server.wsUrl}/ws/%E0%A4%A?token=${await t.token('alice')}`);
    expect((await viewer.closed).code).toBe(WsClose.unknownTank);
  });

  it('should close with 4400 on a message that is not JSON', async () => {
    const viewer = await view(tankId);
    await opened(viewer);
    viewer.send('pause please');
    expect((await viewer.closed).code).toBe(WsClose.malformed);
    expect(viewer.texts.find((m) => m.type === 'error')).toMatchObject({ code: 'malformed_message' });
    expect(t.server.host.get(tankId)!.status).toBe('running');
  });

  it('should close with 4400 on a message of an unknown type', async () => {
    const viewer = await view(tankId);
    await opened(viewer);
    viewer.send({ type: 'feed_everyone', count: 1e6 });
    expect((await viewer.closed).code).toBe(WsClose.malformed);
  });

  it('should close with 4400 on a binary message', async () => {
    const viewer = await view(tankId);
    await opened(viewer);
    viewer.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await viewer.closed).code).toBe(WsClose.malformed);
  });

  it('should close with 4401 without a token', async () => {
    const viewer = openViewer(`${t.server.wsUrl}/ws/${tankId}`);
    expect((await viewer.closed).code).toBe(WsClose.unauthorized);
    expect(viewer.frames).toHaveLength(0);
  });

  it('should close with 4401 for a token that is not ours', async () => {
    const viewer = openViewer(`${t.server.wsUrl}/ws/${tankId}?token=not.a.jwt`);
    expect((await viewer.closed).code).toBe(WsClose.unauthorized);
  });

  it('should close with 4404, exactly as for a missing tank, on a private tank the user holds no level on', async () => {
    const id = await newTank({ name: 'Secret', is_public: false });
    const viewer = await view(id, { user: 'bob' });
    const missing = '00000000-0000-4000-8000-000000000000';
    const absent = await view(missing, { user: 'bob' });
    const [hidden, gone] = [await viewer.closed, await absent.closed];
    expect(hidden.code).toBe(WsClose.unknownTank);
    expect(hidden.reason.replace(id, '<id>')).toBe(gone.reason.replace(missing, '<id>'));
    expect(viewer.frames).toHaveLength(0);
  });

  it('should close viewers with 4410 when their tank is deleted', async () => {
    const id = await newTank({ name: 'Doomed' });
    const viewer = await view(id);
    await waitFor(() => viewer.frames.length >= 1, { what: 'a first frame' });
    await t.json(`/api/tanks/${id}`, 200, { method: 'DELETE', user: 'alice' });
    expect((await viewer.closed).code).toBe(WsClose.tankGone);
  });
});
