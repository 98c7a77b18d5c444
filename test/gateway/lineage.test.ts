/**
 * @module
 * One fish out and in through the gateway, across two servers: exported as a migrating fish,
 * imported into another owner's tank on the other server as a copy (a uid born there) that keeps
 * its lineage, parent and generation; `GET /api/lineages/{id}` counts the members on both
 * servers for whoever may read both tanks, and only the readable ones for anyone else. Bad bodies
 * are refused naming the field, and nothing is half-imported. The tanks are paused, so no fish
 * is born or dies under the counts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type MigratingFish, toMigratingFish } from '../../src/migrating/index.ts';
import { createWorld, readEntity } from '../../src/sim/index.ts';
import { createRng, randomInt } from '../../src/sim/rng.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
/** Alice's public tank on server-1 and Bob's private tank on server-2, both paused. */
let reef: string;
let cove: string;

async function tankOn(user: string, serverId: string, isPublic: boolean, transfers = false): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user,
    body: {
      name: `${user}'s`,
      is_public: isPublic,
      initial_fish: 3,
      server_id: serverId,
      allow_transfers: transfers,
    },
  });
  expect(tank.server_id).toBe(serverId);
  await stack.json(`/api/tanks/${tank.tank_id}/pause`, 200, { method: 'POST', user });
  return tank.tank_id;
}

async function fishIn(tankId: string, user: string) {
  const { entities } = await stack.json<{ entities: Array<Record<string, unknown>> }>(
    `/api/tanks/${tankId}/entities?kind=fish`,
    200,
    { user },
  );
  return entities as Array<{ uid: string; lineageId: string; parentUid: string | null; generation: number }>;
}

/** A fish from a stranger's network: generation 7 of a family founded far away. */
function strangerFish(): MigratingFish {
  const world = createWorld({ seed: 9, uidPrefix: 'far', initialFish: 1 });
  const body = toMigratingFish(readEntity(world, world.fish.uid[0]));
  return { ...body, uid: 'far.k2', lineage_id: 'far.1', parent_uid: 'far.k1', generation: 7 };
}

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
  reef = await tankOn('alice', 'server-1', true);
  cove = await tankOn('bob', 'server-2', false);
}, 120_000);

describe('export and import through the gateway', () => {
  it('should carry a fish to a tank on another server as a copy that keeps its lineage', async () => {
    const arrived = await stack.json<Record<string, unknown>>(`/api/tanks/${reef}/fish`, 201, {
      method: 'POST',
      user: 'alice',
      body: strangerFish(),
    });
    expect(arrived).toMatchObject({
      lineage_id: 'far.1',
      parent_uid: 'far.k1',
      generation: 7,
      imported_from: 'far.k2',
    });
    expect(arrived.uid).toMatch(new RegExp(`^${reef}\\.`));

    const exported = await stack.json<MigratingFish>(
      `/api/tanks/${reef}/entities/${arrived.uid}/export`,
      200,
      {
        user: 'bob',
      },
    );
    expect(exported).toMatchObject({
      format: 'tankworld.fish',
      version: 1,
      uid: arrived.uid,
      lineage_id: 'far.1',
    });
    const copy = await stack.json<Record<string, unknown>>(`/api/tanks/${cove}/fish`, 201, {
      method: 'POST',
      user: 'bob',
      body: exported,
    });
    expect(copy.uid).toMatch(new RegExp(`^${cove}\\.`));
    const there = (await fishIn(cove, 'bob')).find((f) => f.uid === copy.uid);
    expect(there).toMatchObject({ lineageId: 'far.1', parentUid: 'far.k1', generation: 7 });
    // Same state as exported, but for the uid.
    const again = await stack.json<MigratingFish>(`/api/tanks/${cove}/entities/${copy.uid}/export`, 200, {
      user: 'bob',
    });
    expect({ ...again, uid: exported.uid }).toEqual(exported);
  });

  it('should count a lineage across both servers, for each caller only in tanks they may read', async () => {
    const both = await stack.json<Record<string, unknown>>('/api/lineages/far.1', 200, { user: 'bob' });
    expect(both).toEqual({
      lineage_id: 'far.1',
      founder_uid: 'far.1',
      living: 2,
      tanks: [
        { tank_id: [reef, cove].sort()[0], server_id: expect.any(String), count: 1 },
        { tank_id: [reef, cove].sort()[1], server_id: expect.any(String), count: 1 },
      ],
      servers: [
        { server_id: 'server-1', count: 1 },
        { server_id: 'server-2', count: 1 },
      ],
      unreachable: [],
    });
    for (const caller of [{ user: 'alice' }, {}]) {
      const seen = await stack.json<Record<string, unknown>>('/api/lineages/far.1', 200, caller);
      expect(seen).toMatchObject({ living: 1, tanks: [{ tank_id: reef, server_id: 'server-1', count: 1 }] });
    }
    // A founder in the reef: its own lineage of one.
    const founder = (await fishIn(reef, 'alice')).find((f) => f.parentUid === null && f.lineageId === f.uid);
    const own = await stack.json<Record<string, unknown>>(`/api/lineages/${founder?.uid}`, 200, {
      user: 'carol',
    });
    expect(own).toMatchObject({
      founder_uid: founder?.uid,
      living: 1,
      servers: [{ server_id: 'server-1', count: 1 }],
    });
  });

  it('should answer 404 for a lineage never seen, 400 for a malformed id', async () => {
    const missing = await stack.call('/api/lineages/nobody.1', { user: 'bob' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'lineage_not_found' });
    const bad = await stack.call('/api/lineages/no%20dot', { user: 'bob' });
    expect(bad.status).toBe(400);
  });

  it('should refuse bad bodies naming the field, and import nothing from them', async () => {
    const before = (await fishIn(cove, 'bob')).length;
    const post = (body: unknown, rawBody?: string) =>
      stack.call(`/api/tanks/${cove}/fish`, { method: 'POST', user: 'bob', body, rawBody });
    const good = strangerFish();
    const cases: Array<[unknown, number, string, string?]> = [
      [{ ...good, genome: { ...good.genome, speed: 3 } }, 422, 'invalid_migrating_fish', 'genome.speed'],
      [{ ...good, lineage_id: 'x' }, 422, 'invalid_migrating_fish', 'lineage_id'],
      [{ ...good, version: 2 }, 422, 'migrating_fish_version_unsupported', 'version'],
      [{ genome: { speed: 3 } }, 400, 'invalid_request', 'genome.speed'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await post(body);
      const problem = (await res.json()) as { code: string; errors?: Array<{ path: string }> };
      expect([res.status, problem.code]).toEqual([status, code]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(problem.errors?.map((e) => e.path)).toContain(path);
    }
    const malformed = await post(undefined, '{"format":"tankworld.fish",');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'malformed_json' });
    // A reader may export but not import.
    const reader = await stack.call(`/api/tanks/${reef}/fish`, { method: 'POST', user: 'bob', body: good });
    expect(reader.status).toBe(403);
    expect((await fishIn(cove, 'bob')).length).toBe(before);
  });

  it('should answer a few hundred mutated bodies with a 201 or a 4xx, never a 5xx', async () => {
    const good = strangerFish() as unknown as Record<string, unknown>;
    const rng = createRng(5);
    const junk: unknown[] = [null, -1, 1e300, 'x', [], {}, true, 'far.1', 0.5];
    const keys = Object.keys(good);
    const genes = Object.keys(good.genome as object);
    let created = 0;
    const before = (await fishIn(reef, 'alice')).length;
    for (let n = 0; n < 200; n++) {
      const body = structuredClone(good);
      for (let m = 0; m <= randomInt(rng, 2); m++) {
        const value = junk[randomInt(rng, junk.length)];
        const genome = body.genome;
        if (randomInt(rng, 3) === 0 && typeof genome === 'object' && genome !== null)
          (genome as Record<string, unknown>)[genes[randomInt(rng, genes.length)]] = value;
        else if (randomInt(rng, 4) === 0) delete body[keys[randomInt(rng, keys.length)]];
        else body[keys[randomInt(rng, keys.length)]] = value;
      }
      const res = await stack.call(`/api/tanks/${reef}/fish`, { method: 'POST', user: 'alice', body });
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      if (res.status === 201) created++;
      else expect(res.headers.get('content-type')).toContain('application/problem+json');
      await res.body?.cancel();
    }
    expect((await fishIn(reef, 'alice')).length).toBe(before + created);
  });

  it('should keep lineage, parent and generation through a two-phase transfer to the other server', async () => {
    const harbor = await tankOn('alice', 'server-1', false, true);
    const lagoon = await tankOn('alice', 'server-2', false, true);
    const fish = await stack.json<{ id: number; uid: string }>(`/api/tanks/${harbor}/fish`, 201, {
      method: 'POST',
      user: 'alice',
      body: { ...strangerFish(), lineage_id: 'far.2', generation: 4 },
    });
    await stack.json('/gateway/transfer', 200, {
      method: 'POST',
      user: 'alice',
      body: { source_tank_id: harbor, dest_tank_id: lagoon, entity_id: fish.id },
    });
    const there = (await fishIn(lagoon, 'alice')).find((f) => f.uid === fish.uid);
    expect(there).toMatchObject({ lineageId: 'far.2', parentUid: 'far.k1', generation: 4 });
    const lineage = await stack.json<Record<string, unknown>>('/api/lineages/far.2', 200, { user: 'alice' });
    expect(lineage).toMatchObject({ living: 1, servers: [{ server_id: 'server-2', count: 1 }] });
  });
});
