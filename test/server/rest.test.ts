/**
 * @module
 * The REST API of one tank server, in this process on the harness PostgreSQL: tanks (list,
 * create, get, delete, pause, resume), entities, spawning, stats, snapshots, `/api/servers`,
 * `/health`, `/metrics` and `/openapi.json`, each checked against the store and the running
 * world, not only the reply.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GENE_KEYS } from '../../src/sim/index.ts';
import { getLocation, getTank, latestSnapshot, listSnapshots, permissionOf } from '../../src/store/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';
import { opened, openViewer } from './viewer.ts';

const cleanup = useCleanup();
let t: TestServer;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
});

interface TankStatus {
  tank: { tank_id: string; name: string; owner: string | null; is_public: boolean; seed: number };
  status: 'running' | 'paused' | 'failed';
  frame: number;
  epoch: number;
  stats: { fish_count: number; food_count: number; frame: number };
}

interface Entity {
  kind: string;
  id: number;
  uid?: string;
  x: number;
  y: number;
  genome?: Record<string, number>;
}

interface Entities {
  tank_id: string;
  frame: number;
  entities: Entity[];
  count: number;
}

const newTank = (body: Record<string, unknown> = {}, user = 'alice') =>
  t.json<TankStatus>('/api/tanks', 201, { method: 'POST', user, body: { name: 'Reef', ...body } });

const entitiesOf = (id: string, query = '') =>
  t.json<Entities>(`/api/tanks/${id}/entities${query}`, 200, { user: 'alice' });

const frameOf = async (id: string) =>
  (await t.json<TankStatus>(`/api/tanks/${id}`, 200, { user: 'alice' })).frame;

/** Creates a tank and pauses it, so what the tests compare cannot change under them. */
async function pausedTank(body: Record<string, unknown> = {}): Promise<string> {
  const id = (await newTank(body)).tank.tank_id;
  await t.json(`/api/tanks/${id}/pause`, 200, { method: 'POST', user: 'alice' });
  return id;
}

describe('tank server REST', () => {
  it('should say it is healthy on /health, with its id and tank count', async () => {
    const health = await t.json<{ status: string; server_id: string; tanks: number }>('/health', 200);
    expect(health).toMatchObject({
      status: 'healthy',
      server_id: 'server-test',
      tanks: t.server.host.size,
      lease: 'held',
    });
  });

  it('should describe itself on /', async () => {
    const root = await t.json<{ server_id: string; endpoints: Record<string, string> }>('/', 200);
    expect(root.server_id).toBe('server-test');
    expect(root.endpoints).toMatchObject({ websocket_tank: '/ws/{tank_id}', metrics: '/metrics' });
  });

  it('should create a running tank owned by the caller, with its rows and first snapshot in Postgres', async () => {
    const created = await newTank({ name: 'Coral', description: 'warm', seed: 7, initial_fish: 5 });
    const id = created.tank.tank_id;
    expect(created).toMatchObject({
      tank: { name: 'Coral', owner: 'alice', is_public: true, seed: 7, server_id: 'server-test' },
      status: 'running',
      epoch: 1,
      stats: { fish_count: 5 },
    });
    expect(t.server.host.get(id)?.world.fish.count).toBe(5);
    const db = t.store.db;
    expect(await getTank(db, id)).toMatchObject({ tankId: id, name: 'Coral', owner: 'alice', seed: 7 });
    expect(await getLocation(db, id)).toMatchObject({ serverId: 'server-test', epoch: 1 });
    expect(await permissionOf(db, { tankId: id, userId: 'alice' })).toBe('admin');
    expect(await latestSnapshot(db, id)).toMatchObject({ frame: 0, serverId: 'server-test' });

    const got = await t.json<TankStatus>(`/api/tanks/${id}`, 200, { user: 'alice' });
    expect(got.tank).toEqual(created.tank);
  });

  it('should list public tanks to anyone, private ones only with include_private to users who hold a level', async () => {
    const open = (await newTank({ name: 'Open' })).tank.tank_id;
    const hidden = (await newTank({ name: 'Hidden', is_public: false })).tank.tank_id;
    const ids = async (user: string, query = '') =>
      (await t.json<{ tanks: TankStatus[] }>(`/api/tanks${query}`, 200, { user })).tanks.map(
        (s) => s.tank.tank_id,
      );
    expect(await ids('bob')).toContain(open);
    expect(await ids('bob')).not.toContain(hidden);
    expect(await ids('alice')).not.toContain(hidden);
    expect(await ids('alice', '?include_private=true')).toContain(hidden);
    expect(await ids('bob', '?include_private=true')).not.toContain(hidden);
    const list = await t.json<{ count: number; tanks: unknown[]; server_id: string }>('/api/tanks', 200, {
      user: 'alice',
    });
    expect(list.count).toBe(list.tanks.length);
    expect(list.server_id).toBe('server-test');
  });

  it('should delete a tank: gone from the scheduler and the store, later reads are 404', async () => {
    const id = (await newTank()).tank.tank_id;
    const reply = await t.json<{ tank_id: string }>(`/api/tanks/${id}`, 200, {
      method: 'DELETE',
      user: 'alice',
    });
    expect(reply.tank_id).toBe(id);
    expect(t.server.host.get(id)).toBeUndefined();
    expect(await getTank(t.store.db, id)).toBeUndefined();
    expect(await getLocation(t.store.db, id)).toBeUndefined();
    expect((await t.request(`/api/tanks/${id}`, { user: 'alice' })).status).toBe(404);
    const list = await t.json<{ tanks: TankStatus[] }>('/api/tanks?include_private=true', 200, {
      user: 'alice',
    });
    expect(list.tanks.map((s) => s.tank.tank_id)).not.toContain(id);
  });

  it('should stop the frame counter on pause and start it again on resume', async () => {
    const id = (await newTank()).tank.tank_id;
    const witness = (await newTank()).tank.tank_id;
    const paused = await t.json<TankStatus>(`/api/tanks/${id}/pause`, 200, { method: 'POST', user: 'alice' });
    expect(paused.status).toBe('paused');
    const frame = paused.frame;
    // A running tank on the same scheduler shows time passing meanwhile.
    const start = await frameOf(witness);
    await waitFor(async () => (await frameOf(witness)) >= start + 10, { what: 'the witness tank ticking' });
    expect(await frameOf(id)).toBe(frame);

    const resumed = await t.json<TankStatus>(`/api/tanks/${id}/resume`, 200, {
      method: 'POST',
      user: 'alice',
    });
    expect(resumed.status).toBe('running');
    await waitFor(async () => (await frameOf(id)) > frame + 5, { what: 'the resumed tank ticking' });
  });

  it('should list entities (fish first), filter them by kind and give one by id or by uid', async () => {
    const id = await pausedTank({ initial_fish: 6 });
    const all = await entitiesOf(id);
    expect(all.count).toBe(all.entities.length);
    const kinds = all.entities.map((e) => e.kind);
    expect(kinds.slice(0, 6)).toEqual(Array(6).fill('fish'));
    expect(kinds.lastIndexOf('fish')).toBe(5);
    expect(new Set(kinds)).toContain('crab');

    const fish = await entitiesOf(id, '?kind=fish');
    expect(fish.entities).toEqual(all.entities.slice(0, 6));
    const stats = await t.json<TankStatus['stats']>(`/api/tanks/${id}/stats`, 200, { user: 'alice' });
    expect(stats.fish_count).toBe(6);

    const first = fish.entities[0]!;
    const byId = await t.json<Entity & { frame: number }>(`/api/tanks/${id}/entities/${first.id}`, 200, {
      user: 'alice',
    });
    expect(byId).toEqual({ ...first, frame: all.frame });
    const byUid = await t.json<Entity>(`/api/tanks/${id}/entities/${encodeURIComponent(first.uid!)}`, 200, {
      user: 'alice',
    });
    expect(byUid).toEqual(byId);
    const food = all.entities.find((e) => e.kind !== 'fish')!;
    expect((await t.json<Entity>(`/api/tanks/${id}/entities/${food.id}`, 200, { user: 'alice' })).kind).toBe(
      food.kind,
    );
  });

  it('should spawn a random fish when no genome is given', async () => {
    const id = await pausedTank({ initial_fish: 3 });
    const spawned = await t.json<{ id: number; uid: string; tank_id: string }>(`/api/tanks/${id}/fish`, 201, {
      method: 'POST',
      user: 'alice',
      body: {},
    });
    expect(spawned.tank_id).toBe(id);
    expect(spawned.uid.startsWith(id)).toBe(true);
    const fish = (await entitiesOf(id, '?kind=fish')).entities;
    expect(fish).toHaveLength(4);
    const mine = fish.find((f) => f.uid === spawned.uid);
    expect(mine?.id).toBe(spawned.id);
    expect(Object.keys(mine?.genome ?? {}).sort()).toEqual([...GENE_KEYS].sort());
  });

  it('should spawn a fish with the genes and position it is given', async () => {
    const id = await pausedTank({ initial_fish: 3 });
    const genome = { speed: 1.25, size: 0.8, aggression: 0.1, patternType: 2, template: 4 };
    const spawned = await t.json<{ uid: string }>(`/api/tanks/${id}/fish`, 201, {
      method: 'POST',
      user: 'alice',
      body: { genome, x: 300, y: 250 },
    });
    const fish = await t.json<Entity>(`/api/tanks/${id}/entities/${encodeURIComponent(spawned.uid)}`, 200, {
      user: 'alice',
    });
    expect(fish.genome).toMatchObject(genome);
    expect({ x: fish.x, y: fish.y }).toEqual({ x: 300, y: 250 });
  });

  it('should drop as many food flakes as asked', async () => {
    const id = await pausedTank();
    const before = (await entitiesOf(id, '?kind=food')).entities.map((e) => e.id);
    const dropped = await t.json<{ ids: number[] }>(`/api/tanks/${id}/food`, 201, {
      method: 'POST',
      user: 'alice',
      body: { count: 7, x: 400 },
    });
    expect(dropped.ids).toHaveLength(7);
    const after = (await entitiesOf(id, '?kind=food')).entities;
    expect(after.map((e) => e.id).sort()).toEqual([...before, ...dropped.ids].sort());
    for (const flake of after.filter((e) => dropped.ids.includes(e.id))) expect(flake.x).toBe(400);
  });

  it('should give stats that agree with the entities', async () => {
    const id = await pausedTank({ initial_fish: 8 });
    const stats = await t.json<Record<string, unknown>>(`/api/tanks/${id}/stats`, 200, { user: 'alice' });
    const all = await entitiesOf(id);
    expect(stats).toMatchObject({
      frame: all.frame,
      fish_count: all.entities.filter((e) => e.kind === 'fish').length,
      food_count: all.entities.filter((e) => e.kind === 'food').length,
      plant_count: all.entities.filter((e) => e.kind === 'plant').length,
      max_fish: 100,
    });
    expect(Object.keys(stats.genome_averages as object).sort()).toEqual([...GENE_KEYS].sort());
  });

  it('should take a snapshot now, list snapshots newest first, and restore the world a snapshot holds', async () => {
    const id = await pausedTank({ initial_fish: 4 });
    const before = await entitiesOf(id);
    const taken = await t.json<{ snapshot_id: string; frame: number; tank_id: string }>(
      `/api/tanks/${id}/snapshots`,
      201,
      { method: 'POST', user: 'alice' },
    );
    expect(taken).toMatchObject({ tank_id: id, frame: before.frame });

    const list = await t.json<{
      snapshots: Array<{ snapshot_id: string; created_at: string }>;
      count: number;
    }>(`/api/tanks/${id}/snapshots`, 200, { user: 'alice' });
    expect(list.count).toBe(2); // the one taken at creation, and this one
    expect(list.snapshots[0]?.snapshot_id).toBe(taken.snapshot_id);
    expect(Date.parse(list.snapshots[0]!.created_at)).toBeGreaterThanOrEqual(
      Date.parse(list.snapshots[1]!.created_at),
    );
    const one = await t.json<{ count: number }>(`/api/tanks/${id}/snapshots?limit=1`, 200, { user: 'alice' });
    expect(one.count).toBe(1);
    expect((await listSnapshots(t.store.db, id, { limit: 10 })).map((s) => s.snapshotId)).toEqual(
      list.snapshots.map((s) => s.snapshot_id),
    );

    // Change the world, then put it back.
    for (let i = 0; i < 3; i++)
      await t.json(`/api/tanks/${id}/fish`, 201, { method: 'POST', user: 'alice', body: {} });
    await t.json(`/api/tanks/${id}/food`, 201, { method: 'POST', user: 'alice', body: { count: 5 } });
    expect((await entitiesOf(id)).count).toBe(before.count + 8);
    const restored = await t.json<TankStatus>(
      `/api/tanks/${id}/snapshots/${taken.snapshot_id}/restore`,
      200,
      {
        method: 'POST',
        user: 'alice',
      },
    );
    expect(restored).toMatchObject({ status: 'paused', frame: before.frame });
    expect(await entitiesOf(id)).toEqual(before);
  });

  it('should list this server and its public tanks on /api/servers, to a caller with a token', async () => {
    const id = (await newTank({ name: 'Listed' })).tank.tank_id;
    const hidden = (await newTank({ name: 'Unlisted', is_public: false })).tank.tank_id;
    // It names tanks and their owners: not for anyone who can reach the port.
    expect((await t.request('/api/servers')).status).toBe(401);
    const reply = await t.json<{
      servers: Array<{ server: Record<string, unknown>; tanks: TankStatus[] }>;
      count: number;
      stale: boolean;
    }>('/api/servers', 200, { user: 'bob' });
    expect(reply.stale).toBe(false);
    expect(reply.count).toBe(reply.servers.length);
    const self = reply.servers.find((s) => s.server.server_id === 'server-test');
    expect(self?.server).toMatchObject({
      is_local: true,
      status: 'online',
      public_url: t.server.url,
      ws_url: t.server.wsUrl,
      tank_count: t.server.host.size,
    });
    expect(self?.tanks.map((s) => s.tank.tank_id)).toContain(id);
    expect(self?.tanks.map((s) => s.tank.tank_id)).not.toContain(hidden);
  });

  it('should expose tanks, viewers, tick durations, frame bytes and snapshot durations on /metrics', async () => {
    const id = (await newTank({ name: 'Measured' })).tank.tank_id;
    const viewer = openViewer(`${t.server.wsUrl}/ws/${id}?token=${await t.token('alice')}`);
    await opened(viewer);
    await waitFor(() => viewer.frames.length >= 3, { what: 'three frames to the viewer' });
    await t.json(`/api/tanks/${id}/snapshots`, 201, { method: 'POST', user: 'alice' });

    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series}{`) || l.startsWith(`${series} `));
      if (!line) throw new Error(`no ${series} in /metrics`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(value('tankworld_tanks')).toBe(t.server.host.size);
    expect(value('tankworld_viewers')).toBe(1);
    expect(value('tankworld_tick_duration_seconds_count')).toBeGreaterThan(0);
    expect(text).toMatch(/^tankworld_tick_duration_seconds_bucket\{le="0.001"/m);
    expect(value('tankworld_frame_bytes_total')).toBeGreaterThan(0);
    expect(value('tankworld_frames_sent_total')).toBeGreaterThanOrEqual(3);
    expect(value('tankworld_snapshot_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value('tankworld_server_http_request_duration_seconds_count')).toBeGreaterThan(0);
    viewer.close();
    await viewer.closed;
    await waitFor(
      async () => /^tankworld_viewers(\{[^}]*\})? 0$/m.test(await (await t.request('/metrics')).text()),
      {
        what: 'tankworld_viewers back to 0',
      },
    );
  });

  it('should list every route in /openapi.json, and serve every route it lists', async () => {
    const doc = await t.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/openapi.json',
      200,
    );
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routes = [
      'GET /',
      'GET /health',
      'GET /metrics',
      'GET /api/servers',
      'GET /api/tanks',
      'POST /api/tanks',
      'GET /api/tanks/{id}',
      'DELETE /api/tanks/{id}',
      'POST /api/tanks/{id}/pause',
      'POST /api/tanks/{id}/resume',
      'GET /api/tanks/{id}/entities',
      'GET /api/tanks/{id}/entities/{entity_id}',
      'POST /api/tanks/{id}/fish',
      'POST /api/tanks/{id}/food',
      'GET /api/tanks/{id}/stats',
      'GET /api/tanks/{id}/deaths',
      'GET /api/tanks/{id}/snapshots',
      'POST /api/tanks/{id}/snapshots',
      'POST /api/tanks/{id}/snapshots/{snapshot_id}/restore',
      'POST /internal/tanks',
      'POST /internal/tanks/{id}/adopt',
    ];
    for (const route of routes) expect(documented).toContain(route);
    // And the other way round: nothing documented is missing from the router.
    for (const route of documented) {
      const [method, path] = route.split(' ') as [string, string];
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-0000-0000-000000000000');
      const res = await t.request(url, { method, user: 'alice', body: method === 'GET' ? undefined : {} });
      const body = await res.text();
      expect(body, route).not.toContain('no route for');
    }
  });
});
