/**
 * @module
 * Bad input to a tank server's REST API, one test per case: each gets its 4xx as
 * `application/problem+json` with a stable `type`, and leaves the server and the store exactly
 * as they were.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { listSnapshots, listTanks } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type RequestOptions, SECRET, startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;
/** A paused public tank of alice's (bob may only read it): what the bad calls aim at. */
let tankId: string;
/** A private tank of alice's: bob holds no level on it. */
let privateId: string;
let snapshotId: string;

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
  const create = (body: Record<string, unknown>) =>
    t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, { method: 'POST', user: 'alice', body });
  tankId = (await create({ name: 'Target', seed: 3, initial_fish: 5 })).tank.tank_id;
  await t.json(`/api/tanks/${tankId}/pause`, 200, { method: 'POST', user: 'alice' });
  privateId = (await create({ name: 'Private', is_public: false })).tank.tank_id;
  snapshotId = (
    await t.json<{ snapshot_id: string }>(`/api/tanks/${tankId}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    })
  ).snapshot_id;
});

/** Everything a failed call must not change: the tanks here and in the store, the target's world. */
async function state() {
  const host = t.server.host;
  const target = host.get(tankId)!;
  return {
    running: host
      .list()
      .map((tank) => `${tank.id}:${tank.status}`)
      .sort(),
    stored: (await listTanks(t.store.db, { limit: 100 })).items.map((e) => e.tank.tankId).sort(),
    snapshots: (await listSnapshots(t.store.db, tankId, { limit: 100 })).map((s) => s.snapshotId),
    entities: await t.json(`/api/tanks/${tankId}/entities`, 200, { user: 'alice' }),
    stats: await t.json(`/api/tanks/${tankId}/stats`, 200, { user: 'alice' }),
    frame: target.world.frame,
  };
}

/**
 * Sends `path` with `options`, expects a problem with `status` and `code`, and that nothing
 * changed; returns the problem body.
 */
async function expectProblem(
  path: string,
  options: RequestOptions,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const before = await state();
  const res = await t.request(path, options);
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await res.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: `/problems/${code}`, status, code });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  // Never a stack trace or a path into the code.
  expect(JSON.stringify(problem)).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.ts\b/);
  expect(await state()).toEqual(before);
  return problem;
}

const post = (user: string | undefined, body: unknown, headers?: Record<string, string>): RequestOptions => ({
  method: 'POST',
  user,
  body,
  headers,
});

describe('bad input to the REST API', () => {
  it('should answer a body that is not JSON with malformed_json (400), on create', async () => {
    await expectProblem('/api/tanks', post('alice', '{"name": "Reef"'), 400, 'malformed_json');
  });

  it('should answer a body that is not JSON with malformed_json (400), on spawn', async () => {
    await expectProblem(`/api/tanks/${tankId}/fish`, post('alice', 'genome=fast'), 400, 'malformed_json');
  });

  it('should answer a body of another media type with unsupported_media_type (415)', async () => {
    await expectProblem(
      '/api/tanks',
      post('alice', 'name=Reef', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
  });

  it('should refuse a body over 64 KB that declares its length with payload_too_large (413)', async () => {
    const body = JSON.stringify({ name: 'Big', description: 'x'.repeat(70 * 1024) });
    await expectProblem('/api/tanks', post('alice', body), 413, 'payload_too_large');
  });

  it('should refuse a chunked body that grows over 64 KB with payload_too_large (413)', async () => {
    const before = await state();
    const chunk = new TextEncoder().encode(`"${'y'.repeat(16 * 1024)}",`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"Big","description":['));
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    // A stream body goes out chunked: no content-length for the limit to read up front.
    const res = await fetch(`${t.server.url}/api/tanks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await t.token('alice')}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: '/problems/payload_too_large', status: 413 });
    expect(await state()).toEqual(before);
  });

  it('should answer an unknown tank id with tank_not_found (404) on every tank route', async () => {
    const routes: Array<[string, RequestOptions]> = [
      [`/api/tanks/${UNKNOWN}`, { user: 'alice' }],
      [`/api/tanks/${UNKNOWN}`, { method: 'DELETE', user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/pause`, { method: 'POST', user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/resume`, { method: 'POST', user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/entities`, { user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/stats`, { user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/fish`, post('alice', {})],
      [`/api/tanks/${UNKNOWN}/food`, post('alice', { count: 1 })],
      [`/api/tanks/${UNKNOWN}/snapshots`, { user: 'alice' }],
      [`/api/tanks/${UNKNOWN}/snapshots`, { method: 'POST', user: 'alice' }],
      [`/api/tanks/not-a-uuid`, { user: 'alice' }],
    ];
    for (const [path, options] of routes) await expectProblem(path, options, 404, 'tank_not_found');
  });

  it('should answer an unknown snapshot id with snapshot_not_found (404)', async () => {
    await expectProblem(
      `/api/tanks/${tankId}/snapshots/${UNKNOWN}/restore`,
      { method: 'POST', user: 'alice' },
      404,
      'snapshot_not_found',
    );
    await expectProblem(
      `/api/tanks/${tankId}/snapshots/not-a-uuid/restore`,
      { method: 'POST', user: 'alice' },
      404,
      'snapshot_not_found',
    );
  });

  it("should refuse to restore another tank's snapshot (404 snapshot_not_found)", async () => {
    const other = await t.json<{ snapshot_id: string }>(`/api/tanks/${privateId}/snapshots`, 201, {
      method: 'POST',
      user: 'alice',
    });
    await expectProblem(
      `/api/tanks/${tankId}/snapshots/${other.snapshot_id}/restore`,
      { method: 'POST', user: 'alice' },
      404,
      'snapshot_not_found',
    );
  });

  it('should answer an unknown entity with unknown_entity (404)', async () => {
    await expectProblem(`/api/tanks/${tankId}/entities/999999`, { user: 'alice' }, 404, 'unknown_entity');
    await expectProblem(`/api/tanks/${tankId}/entities/nobody-1`, { user: 'alice' }, 404, 'unknown_entity');
  });

  it('should answer an unknown route with not_found (404)', async () => {
    await expectProblem('/api/aquariums', { user: 'alice' }, 404, 'not_found');
  });

  it('should refuse fields of the wrong type with invalid_request (400) naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/api/tanks', { name: 42 }, 'name'],
      ['/api/tanks', { name: 'Reef', is_public: 'yes' }, 'is_public'],
      ['/api/tanks', { name: 'Reef', seed: 1.5 }, 'seed'],
      ['/api/tanks', ['Reef'], ''],
      [`/api/tanks/${tankId}/fish`, { genome: { speed: 'fast' } }, 'genome.speed'],
      [`/api/tanks/${tankId}/food`, { count: '3' }, 'count'],
    ];
    for (const [path, body, field] of cases) {
      const problem = await expectProblem(path, post('alice', body), 400, 'invalid_request');
      expect((problem.errors as Array<{ path: string }>).map((e) => e.path)).toContain(field);
    }
  });

  it('should refuse fields it does not know with invalid_request (400)', async () => {
    await expectProblem(
      '/api/tanks',
      post('alice', { name: 'Reef', owner: 'mallory' }),
      400,
      'invalid_request',
    );
    await expectProblem(
      `/api/tanks/${tankId}/fish`,
      post('alice', { species: 'shark' }),
      400,
      'invalid_request',
    );
  });

  it('should refuse negative and zero counts with invalid_request (400)', async () => {
    await expectProblem(`/api/tanks/${tankId}/food`, post('alice', { count: -3 }), 400, 'invalid_request');
    await expectProblem(`/api/tanks/${tankId}/food`, post('alice', { count: 0 }), 400, 'invalid_request');
    await expectProblem(`/api/tanks/${tankId}/food`, post('alice', { count: 51 }), 400, 'invalid_request');
    await expectProblem(
      '/api/tanks',
      post('alice', { name: 'Reef', initial_fish: -1 }),
      400,
      'invalid_request',
    );
    await expectProblem('/api/tanks', post('alice', { name: 'Reef', seed: -5 }), 400, 'invalid_request');
    await expectProblem(`/api/tanks/${tankId}/snapshots?limit=-1`, { user: 'alice' }, 400, 'invalid_request');
  });

  it('should refuse a genome outside the ranges with invalid_request (400) naming the gene', async () => {
    const genes: Array<[string, number | string]> = [
      ['speed', 9],
      ['aggression', -0.1],
      ['pokerBluff', 0.31],
      ['patternType', 1.5],
      ['template', 6],
    ];
    for (const [gene, value] of genes) {
      const problem = await expectProblem(
        `/api/tanks/${tankId}/fish`,
        post('alice', { genome: { [gene]: value } }),
        400,
        'invalid_request',
      );
      expect((problem.errors as Array<{ path: string }>).map((e) => e.path)).toEqual([`genome.${gene}`]);
    }
    await expectProblem(
      `/api/tanks/${tankId}/fish`,
      post('alice', { genome: { wings: 1 } }),
      400,
      'invalid_request',
    );
  });

  it('should refuse a position outside the tank with invalid_position (400)', async () => {
    await expectProblem(`/api/tanks/${tankId}/fish`, post('alice', { x: 99_999 }), 400, 'invalid_position');
    await expectProblem(`/api/tanks/${tankId}/food`, post('alice', { x: 99_999 }), 400, 'invalid_position');
  });

  it('should refuse a spawn into a full tank with tank_full (409)', async () => {
    const full = (
      await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
        method: 'POST',
        user: 'alice',
        body: { name: 'Full', initial_fish: 100 },
      })
    ).tank.tank_id;
    await t.json(`/api/tanks/${full}/pause`, 200, { method: 'POST', user: 'alice' });
    const fish = () => t.server.host.get(full)!.world.fish.count;
    expect(fish()).toBe(100);
    await expectProblem(`/api/tanks/${full}/fish`, post('alice', {}), 409, 'tank_full');
    expect(fish()).toBe(100);
    await t.json(`/api/tanks/${full}`, 200, { method: 'DELETE', user: 'alice' });
  });

  it('should answer a request without a token with missing_token (401)', async () => {
    await expectProblem('/api/tanks', {}, 401, 'missing_token');
    await expectProblem(`/api/tanks/${tankId}/fish`, post(undefined, {}), 401, 'missing_token');
    await expectProblem(
      `/api/tanks/${tankId}`,
      { headers: { authorization: 'Basic YWxpY2U6cHc=' } },
      401,
      'missing_token',
    );
  });

  it('should answer a token that is not ours with invalid_token (401)', async () => {
    await expectProblem(`/api/tanks/${tankId}`, { rawToken: 'not.a.jwt' }, 401, 'invalid_token');
    const forged = await mintToken({ secret: 'another-secret-0123456789abcdef', userId: 'alice' });
    await expectProblem(
      `/api/tanks/${tankId}/fish`,
      { ...post(undefined, {}), rawToken: forged },
      401,
      'invalid_token',
    );
  });

  it('should answer an expired token with expired_token (401)', async () => {
    const old = await mintToken({
      secret: SECRET,
      userId: 'alice',
      ttlSeconds: 60,
      now: Date.now() - 3_600_000,
    });
    await expectProblem(`/api/tanks/${tankId}`, { rawToken: old }, 401, 'expired_token');
  });

  it('should refuse every write by a user who may only read with forbidden (403)', async () => {
    const writes: Array<[string, RequestOptions]> = [
      [`/api/tanks/${tankId}/fish`, post('bob', {})],
      [`/api/tanks/${tankId}/food`, post('bob', { count: 2 })],
      [`/api/tanks/${tankId}/pause`, { method: 'POST', user: 'bob' }],
      [`/api/tanks/${tankId}/resume`, { method: 'POST', user: 'bob' }],
      [`/api/tanks/${tankId}/snapshots`, { method: 'POST', user: 'bob' }],
      [`/api/tanks/${tankId}/snapshots/${snapshotId}/restore`, { method: 'POST', user: 'bob' }],
      [`/api/tanks/${tankId}`, { method: 'DELETE', user: 'bob' }],
    ];
    // bob can read it (the tank is public) …
    await t.json(`/api/tanks/${tankId}`, 200, { user: 'bob' });
    // … and nothing more.
    for (const [path, options] of writes) await expectProblem(path, options, 403, 'forbidden');
  });

  it('should answer a private tank to a user without a level as a missing one, tank_not_found (404)', async () => {
    // A 403 would tell bob the tank exists.
    await expectProblem(`/api/tanks/${privateId}`, { user: 'bob' }, 404, 'tank_not_found');
    await expectProblem(`/api/tanks/${privateId}/entities`, { user: 'bob' }, 404, 'tank_not_found');
  });

  it('should refuse internal calls that are not signed (401)', async () => {
    const problem = await expectProblem(
      '/internal/tanks',
      post('alice', { tank_id: UNKNOWN, name: 'Sneaky', owner: 'mallory' }),
      401,
      'invalid_signature',
    );
    expect(problem.status).toBe(401);
  });
});
