/**
 * @module
 * A tank whose simulation step throws, on a real server: it is stopped and reported (status,
 * error, metric), every other tank keeps ticking, the process keeps serving, nothing changes it
 * (REST or WebSocket) until a snapshot is restored over it, and then it runs again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';
import { openViewer } from './viewer.ts';

const cleanup = useCleanup();
let t: TestServer;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
});

interface TankStatus {
  tank: { tank_id: string };
  status: string;
  error: string | null;
  frame: number;
}

const create = async (name: string) =>
  (await t.json<TankStatus>('/api/tanks', 201, { method: 'POST', user: 'alice', body: { name } })).tank
    .tank_id;
const statusOf = (id: string) => t.json<TankStatus>(`/api/tanks/${id}`, 200, { user: 'alice' });

describe('a tank whose step throws', () => {
  it('should be stopped and reported while the other tanks and the server carry on, until a restore', async () => {
    const broken = await create('Broken');
    const healthy = await create('Healthy');
    const { snapshot_id } = await t.json<{ snapshot_id: string }>(`/api/tanks/${broken}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    });
    const viewer = openViewer(`${t.server.wsUrl}/ws/${broken}?token=${await t.token('alice')}`);
    cleanup.add(() => viewer.ws.terminate());
    await viewer.nextText((m) => m.type === 'hello', 'hello');

    // The sim throwing mid-step, as a bug in it would.
    const tank = t.server.host.get(broken)!;
    const step = tank.step;
    tank.step = () => {
      throw new Error('fish left the tank through the floor');
    };
    await waitFor(async () => (await statusOf(broken)).status === 'failed', {
      what: 'the tank to be failed',
    });
    tank.step = step;
    const failed = await statusOf(broken);
    expect(failed.error).toBe('fish left the tank through the floor');

    // The rest goes on.
    const start = (await statusOf(healthy)).frame;
    await waitFor(async () => (await statusOf(healthy)).frame > start + 10, {
      what: 'the other tank ticking',
    });
    expect((await statusOf(broken)).frame).toBe(failed.frame);
    expect((await t.json<{ status: string }>('/health', 200)).status).toBe('healthy');
    const metrics = await (await t.request('/metrics')).text();
    expect(metrics).toMatch(/^tankworld_tanks_failed_total(\{[^}]*\})? 1$/m);

    // Nothing changes it …
    for (const [path, body] of [
      [`/api/tanks/${broken}/resume`, undefined],
      [`/api/tanks/${broken}/pause`, undefined],
      [`/api/tanks/${broken}/fish`, {}],
      [`/api/tanks/${broken}/food`, { count: 1 }],
      [`/api/tanks/${broken}/snapshots`, undefined],
    ] as const) {
      const res = await t.request(path, { method: 'POST', user: 'alice', body });
      expect(res.status, path).toBe(409);
      expect(((await res.json()) as { code: string }).code).toBe('tank_failed');
    }
    viewer.send({ type: 'spawn_food', count: 3 });
    expect(await viewer.nextText((m) => m.type === 'error', 'an error reply')).toMatchObject({
      code: 'tank_failed',
    });
    expect((await statusOf(broken)).status).toBe('failed');

    // … until a snapshot is put back: then it runs again, and its viewer sees it.
    const restored = await t.json<TankStatus>(`/api/tanks/${broken}/snapshots/${snapshot_id}/restore`, 200, {
      method: 'POST',
      user: 'alice',
    });
    expect(restored).toMatchObject({ status: 'running', error: null });
    await waitFor(async () => (await statusOf(broken)).frame > restored.frame + 5, {
      what: 'the restored tank ticking',
    });
    const seen = viewer.frames.length;
    await waitFor(() => viewer.frames.length > seen + 2, { what: 'frames to its viewer again' });
  });
});
