/**
 * @module
 * The internal API the gateway calls, and fencing, with two servers on one PostgreSQL: a signed
 * create is idempotent by tank id, a tank id another server holds is refused, replayed or
 * unsigned calls are refused; after a failover moves a tank to the other server (epoch + 1),
 * that server adopts it from the newest snapshot, and the old one stops its copy at its next
 * snapshot write (fenced) and tells its viewers the tank moved.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/index.ts';
import { createLocalRegistry } from '../../src/discovery/index.ts';
import { WsClose } from '../../src/server/index.ts';
import { getLocation, getTank, moveTank } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { SECRET, startTestServer, type TestServer } from './fixture.ts';
import { openViewer } from './viewer.ts';

const cleanup = useCleanup();
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  const registry = createLocalRegistry();
  a = await startTestServer({ cleanup, databaseUrl: db.url, serverId: 'server-a', registry });
  b = await startTestServer({ cleanup, store: a.store, serverId: 'server-b', registry });
});

interface TankStatus {
  tank: { tank_id: string; owner: string | null; server_id: string };
  frame: number;
  epoch: number;
  status: string;
}

/** A signed internal call; `headers` replaces the signature (to replay one). */
async function internal(
  server: TestServer,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const text = JSON.stringify(body);
  const signed = headers ?? signRequest({ secret: SECRET, method: 'POST', path, body: text });
  const res = await fetch(`${server.server.url}${path}`, {
    method: 'POST',
    headers: { ...signed, 'content-type': 'application/json' },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: signed };
}

describe('the internal API and fencing', () => {
  it('should create a tank under the id the gateway chose, and answer a retry with the same tank', async () => {
    const tankId = randomUUID();
    const body = { tank_id: tankId, name: 'Placed', owner: 'carol', seed: 4 };
    const first = await internal(a, '/internal/tanks', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      tank: { tank_id: tankId, owner: 'carol', server_id: 'server-a' },
      epoch: 1,
    });
    const size = a.server.host.size;
    const retry = await internal(a, '/internal/tanks', body);
    expect(retry.status).toBe(201);
    expect((retry.body as unknown as TankStatus).tank).toEqual((first.body as unknown as TankStatus).tank);
    expect(a.server.host.size).toBe(size);
    expect(await getTank(a.store.db, tankId)).toMatchObject({ owner: 'carol' });
    // carol owns it: she may delete it over the public API.
    await a.json(`/api/tanks/${tankId}`, 200, { method: 'DELETE', user: 'carol' });
  });

  it('should refuse a tank id another server holds with tank_exists (409)', async () => {
    const tankId = randomUUID();
    expect(
      (await internal(a, '/internal/tanks', { tank_id: tankId, name: 'Mine', owner: null })).status,
    ).toBe(201);
    const clash = await internal(b, '/internal/tanks', { tank_id: tankId, name: 'Also mine', owner: null });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: 'tank_exists' });
    expect(b.server.host.get(tankId)).toBeUndefined();
    expect(await getLocation(a.store.db, tankId)).toMatchObject({ serverId: 'server-a', epoch: 1 });
  });

  it('should refuse a replayed signed request with invalid_signature (401)', async () => {
    const body = { tank_id: randomUUID(), name: 'Once', owner: null };
    const first = await internal(a, '/internal/tanks', body);
    expect(first.status).toBe(201);
    const size = a.server.host.size;
    const replay = await internal(a, '/internal/tanks', body, first.headers);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'invalid_signature' });
    expect(a.server.host.size).toBe(size);
  });

  it('should refuse to adopt a tank at an epoch it does not hold with stale_epoch (409)', async () => {
    const tankId = randomUUID();
    await internal(a, '/internal/tanks', { tank_id: tankId, name: 'Stay', owner: null });
    const wrong = await internal(b, `/internal/tanks/${tankId}/adopt`, { epoch: 2 });
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ code: 'stale_epoch' });
    expect(b.server.host.get(tankId)).toBeUndefined();
  });

  it("should list both servers on either one's /api/servers, each with its public tanks", async () => {
    const open = await internal(b, '/internal/tanks', { tank_id: randomUUID(), name: 'On b', owner: 'dave' });
    const closed = await internal(b, '/internal/tanks', {
      tank_id: randomUUID(),
      name: 'Private on b',
      owner: 'dave',
      is_public: false,
    });
    const openId = (open.body as unknown as TankStatus).tank.tank_id;
    const closedId = (closed.body as unknown as TankStatus).tank.tank_id;
    const reply = await a.json<{
      servers: Array<{
        server: { server_id: string; is_local: boolean };
        tanks: Array<{ tank: { tank_id: string } }>;
      }>;
    }>('/api/servers', 200, { user: 'erin' });
    expect(reply.servers.map((s) => [s.server.server_id, s.server.is_local]).sort()).toEqual([
      ['server-a', true],
      ['server-b', false],
    ]);
    const onB = reply.servers
      .find((s) => s.server.server_id === 'server-b')!
      .tanks.map((t) => t.tank.tank_id);
    expect(onB).toContain(openId);
    expect(onB).not.toContain(closedId);
  });

  it('should move a tank on failover: adopted from the newest snapshot, the old copy fenced and its viewers told', async () => {
    const created = await a.json<TankStatus>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Movable', seed: 12, initial_fish: 5 },
    });
    const tankId = created.tank.tank_id;
    const snapshot = await a.json<{ frame: number }>(`/api/tanks/${tankId}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    });
    const viewer = openViewer(`${a.server.wsUrl}/ws/${tankId}?token=${await a.token('alice')}`);
    cleanup.add(() => viewer.ws.terminate());
    await viewer.nextText((m) => m.type === 'hello', 'hello');

    // The gateway's failover: the location names server-b at the next epoch, then b adopts.
    const epoch = await moveTank(a.store.db, { tankId, toServerId: 'server-b', expectedEpoch: 1 });
    expect(epoch).toBe(2);
    const adopted = await internal(b, `/internal/tanks/${tankId}/adopt`, { epoch });
    expect(adopted.status).toBe(200);
    expect(adopted.body).toMatchObject({ epoch: 2, frame: snapshot.frame, tank: { server_id: 'server-b' } });
    expect(b.server.host.get(tankId)?.world.frame).toBeGreaterThanOrEqual(snapshot.frame);

    // server-a still runs its copy until it next writes a snapshot: that write is fenced.
    const write = await a.request(`/api/tanks/${tankId}/snapshots`, { method: 'POST', user: 'alice' });
    expect(write.status).toBe(409);
    expect(((await write.json()) as { code: string }).code).toBe('stale_epoch');
    expect(a.server.host.get(tankId)).toBeUndefined();
    expect((await viewer.closed).code).toBe(WsClose.tankGone);
    expect((await a.request(`/api/tanks/${tankId}`, { user: 'alice' })).status).toBe(404);
    const onB = await b.json<TankStatus>(`/api/tanks/${tankId}`, 200, { user: 'alice' });
    expect(onB).toMatchObject({ epoch: 2, status: 'running' });
    expect(await getLocation(a.store.db, tankId)).toMatchObject({ serverId: 'server-b', epoch: 2 });
  });

  it('should serve a tank moved here before the adopt call arrives, adopting it on the first request', async () => {
    const created = await a.json<TankStatus>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Early', seed: 13, initial_fish: 4 },
    });
    const tankId = created.tank.tank_id;
    await a.json(`/api/tanks/${tankId}/pause`, 200, { method: 'POST', user: 'alice' });
    await a.json(`/api/tanks/${tankId}/snapshots`, 201, { method: 'POST', user: 'alice' });
    const fish = await a.json<{ entities: Array<{ uid: string }> }>(
      `/api/tanks/${tankId}/entities?kind=fish`,
      200,
      {
        user: 'alice',
      },
    );

    // The location names server-b; the gateway has not called adopt yet.
    await moveTank(a.store.db, { tankId, toServerId: 'server-b', expectedEpoch: 1 });
    const onB = await b.json<TankStatus>(`/api/tanks/${tankId}`, 200, { user: 'alice' });
    expect(onB).toMatchObject({ epoch: 2, tank: { server_id: 'server-b' } });
    const moved = await b.json<{ entities: Array<{ uid: string }> }>(
      `/api/tanks/${tankId}/entities?kind=fish`,
      200,
      {
        user: 'alice',
      },
    );
    expect(moved.entities.map((e) => e.uid)).toEqual(fish.entities.map((e) => e.uid));
    // The adopt call, when it comes, finds it running.
    expect((await internal(b, `/internal/tanks/${tankId}/adopt`, { epoch: 2 })).status).toBe(200);
  });

  it('should admit a viewer of a tank moved here before the adopt call arrives', async () => {
    const created = await a.json<TankStatus>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Watched early', seed: 14, initial_fish: 3 },
    });
    const tankId = created.tank.tank_id;
    await a.json(`/api/tanks/${tankId}/snapshots`, 201, { method: 'POST', user: 'alice' });
    await moveTank(a.store.db, { tankId, toServerId: 'server-b', expectedEpoch: 1 });
    const viewer = openViewer(`${b.server.wsUrl}/ws/${tankId}?token=${await b.token('alice')}`);
    cleanup.add(() => viewer.ws.terminate());
    expect(await viewer.nextText((m) => m.type === 'hello', 'hello')).toMatchObject({ tank_id: tankId });
    expect(b.server.host.get(tankId)?.epoch).toBe(2);
  });
});
