/**
 * @module
 * `GET /api/tanks/{id}/deaths` on one tank server: the deaths its world recorded, by uid, with
 * filters and the frame from which the record is complete; rolled back with the fish by a
 * snapshot restore; problem+json for a bad query, an unknown tank, no token.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnFish, step } from '../../src/sim/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
});

interface Deaths {
  tank_id: string;
  frame: number;
  capacity: number;
  total: number;
  complete_since_frame: number;
  deaths: Array<{ uid: string; cause: string; frame: number }>;
  count: number;
}

const deathsOf = (id: string, query = '') =>
  t.json<Deaths>(`/api/tanks/${id}/deaths${query}`, 200, { user: 'alice' });

/** A paused tank of `fish` fish: nothing changes in it but what the test does. */
async function pausedTank(fish: number): Promise<string> {
  const made = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Obituaries', initial_fish: fish, seed: 4 },
  });
  const id = made.tank.tank_id;
  await t.json(`/api/tanks/${id}/pause`, 200, { method: 'POST', user: 'alice' });
  return id;
}

/** Starves the tank's first `n` fish: one frame of its sim, stepped here while it is paused. */
function starve(id: string, n: number): { uids: string[]; frame: number } {
  const tank = t.server.host.get(id)!;
  const { fish } = tank.world;
  const uids = fish.uid.slice(0, n);
  for (let i = 0; i < n; i++) {
    // Far below what one bite of food could give back.
    fish.energy[i] = -1e6;
    fish.crabScare[i] = 0;
  }
  const { frame } = step(tank.world);
  tank.touch();
  return { uids, frame };
}

describe('GET /api/tanks/{id}/deaths', () => {
  it('should list each death by uid, cause and frame, and filter by frame and cause', async () => {
    const id = await pausedTank(6);
    const empty = await deathsOf(id);
    expect(empty).toMatchObject({ tank_id: id, capacity: 128, total: 0, complete_since_frame: 0, count: 0 });
    const { uids, frame } = starve(id, 3);
    const listed = await deathsOf(id);
    expect(listed).toMatchObject({ total: 3, count: 3, complete_since_frame: 0, frame });
    expect(listed.deaths).toEqual(uids.map((uid) => ({ uid, cause: 'starvation', frame })));
    // None of them is alive any more.
    const alive = await t.json<{ entities: Array<{ uid: string }> }>(
      `/api/tanks/${id}/entities?kind=fish`,
      200,
      { user: 'alice' },
    );
    expect(alive.entities.filter((e) => uids.includes(e.uid))).toEqual([]);
    expect((await deathsOf(id, '?cause=old_age')).count).toBe(0);
    expect((await deathsOf(id, `?cause=starvation&since_frame=${frame}`)).count).toBe(3);
    expect((await deathsOf(id, `?since_frame=${frame + 1}`)).deaths).toEqual([]);
  });

  it('should keep the newest 128 and say from which frame on it misses none', async () => {
    const id = await pausedTank(0);
    const tank = t.server.host.get(id)!;
    const died: string[] = [];
    for (let round = 0; round < 13; round++) {
      for (let n = 0; n < 10; n++) spawnFish(tank.world, {});
      died.push(...starve(id, 10).uids);
    }
    const listed = await deathsOf(id);
    expect(listed).toMatchObject({ total: 130, count: 128, capacity: 128 });
    const uids = new Set(listed.deaths.map((d) => d.uid));
    expect(uids.size).toBe(128);
    // All but two of the first round's (one frame: their order within it is the sim's).
    expect(died.slice(10).filter((uid) => !uids.has(uid))).toEqual([]);
    expect(died.slice(0, 10).filter((uid) => uids.has(uid))).toHaveLength(8);
    // The two oldest gave way; others of the oldest kept death's frame may have too.
    expect(listed.complete_since_frame).toBe(listed.deaths[0]!.frame + 1);
  });

  it('should roll the record back with the fish when the tank is restored from a snapshot', async () => {
    const id = await pausedTank(6);
    const first = starve(id, 2);
    const taken = await t.json<{ snapshot_id: string }>(`/api/tanks/${id}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    });
    const second = starve(id, 2);
    expect((await deathsOf(id)).count).toBe(4);
    await t.json(`/api/tanks/${id}/snapshots/${taken.snapshot_id}/restore`, 200, {
      method: 'POST',
      user: 'alice',
    });
    const back = await deathsOf(id);
    expect(back.deaths.map((d) => d.uid)).toEqual(first.uids);
    expect(back.total).toBe(2);
    const alive = await t.json<{ entities: Array<{ uid: string }> }>(
      `/api/tanks/${id}/entities?kind=fish`,
      200,
      { user: 'alice' },
    );
    expect(alive.entities.map((e) => e.uid)).toEqual(expect.arrayContaining(second.uids));
  });

  it('should answer a bad query, an unknown tank and a missing token with problem+json', async () => {
    const id = await pausedTank(1);
    for (const [path, status, code] of [
      [`/api/tanks/${id}/deaths?since_frame=-1`, 400, 'invalid_request'],
      [`/api/tanks/${id}/deaths?since_frame=soon`, 400, 'invalid_request'],
      [`/api/tanks/${id}/deaths?cause=boredom`, 400, 'invalid_request'],
      ['/api/tanks/not-a-tank/deaths', 404, 'tank_not_found'],
      ['/api/tanks/00000000-0000-4000-8000-000000000000/deaths', 404, 'tank_not_found'],
    ] as const) {
      const res = await t.request(path, { user: 'alice' });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status, code });
    }
    const anonymous = await t.request(`/api/tanks/${id}/deaths`);
    expect(anonymous.status).toBe(401);
    // Another user's private tank is not theirs to read.
    const hidden = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Private', is_public: false },
    });
    const other = await t.request(`/api/tanks/${hidden.tank.tank_id}/deaths`, { user: 'bob' });
    expect(other.status).toBe(404);
  });
});
