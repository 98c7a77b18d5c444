/**
 * @module
 * `POST /internal/transfers/steps`, the batch of participant steps: mixed steps with mixed
 * outcomes each get, in order, what their single-step route would answer; steps of one
 * transfer in a batch run in order; unsigned calls and bad batches are refused as problems.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/index.ts';
import { toMigratingFish } from '../../src/migrating/index.ts';
import { createWorld, readEntity } from '../../src/sim/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { SECRET, startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;
/** Five fish, paused (a stable population). */
let source: string;
/** Paused and full: no room for an arriving fish. */
let full: string;

interface Answer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

/** A signed internal POST of `body` (sent as-is when a string). */
async function signed(path: string, body: unknown): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${t.server.url}${path}`, {
    method: 'POST',
    headers: {
      ...signRequest({ secret: SECRET, method: 'POST', path, body: text }),
      'content-type': 'application/json',
    },
    body: text,
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

const steps = (body: unknown) => signed('/internal/transfers/steps', body);
const results = async (body: unknown) => {
  const answer = await steps(body);
  expect(answer.status).toBe(200);
  return answer.body.results as Array<{ status: number; body: Record<string, unknown> }>;
};

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
  const create = async (name: string) => {
    const { tank } = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name, seed: 5, initial_fish: 5 },
    });
    t.server.host.get(tank.tank_id)!.pause();
    return tank.tank_id;
  };
  source = await create('Source');
  full = await create('Full');
  const world = t.server.host.get(full)!.world as { maxFish: number; fish: { count: number } };
  world.maxFish = world.fish.count;
});

const fishIn = (tankId: string) => {
  const fish = t.server.host.get(tankId)!.world.fish;
  return fish.uid.slice(0, fish.count);
};

describe('POST /internal/transfers/steps', () => {
  it('should run mixed steps and answer each in its slot as its single-step route would', async () => {
    const world = t.server.host.get(source)!.world;
    const entityId = world.fish.id[0]!;
    const uid = world.fish.uid[0]!;
    const [held, unknownFish, idle, noTank] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const elsewhere = randomUUID();

    const first = await results({
      steps: [
        { transfer_id: held, step: 'prepare-source', body: { tank_id: source, entity_id: entityId } },
        { transfer_id: unknownFish, step: 'prepare-source', body: { tank_id: source, entity_id: 99_999 } },
        { transfer_id: idle, step: 'commit-source', body: {} },
        { transfer_id: noTank, step: 'prepare-source', body: { tank_id: elsewhere, entity_id: 0 } },
      ],
    });

    expect(first).toHaveLength(4);
    expect(first[0]).toEqual({
      status: 200,
      body: {
        transfer_id: held,
        tank_id: source,
        entity_uid: uid,
        old_id: entityId,
        payload: expect.objectContaining({ kind: 'fish', uid }),
      },
    });
    expect(fishIn(source)).not.toContain(uid);
    // The unknown fish and the missing tank: the very problems their single-step routes give.
    const alone = await signed(`/internal/transfers/${unknownFish}/prepare-source`, {
      tank_id: source,
      entity_id: 99_999,
    });
    expect(alone).toMatchObject({ status: 404, contentType: 'application/problem+json' });
    expect(first[1]).toEqual({ status: 404, body: alone.body });
    expect(first[1]!.body).toMatchObject({ code: 'unknown_entity', type: '/problems/unknown_entity' });
    expect(first[2]).toEqual({ status: 200, body: { transfer_id: idle, dropped: false } });
    const noTankAlone = await signed(`/internal/transfers/${noTank}/prepare-source`, {
      tank_id: elsewhere,
      entity_id: 0,
    });
    expect(first[3]).toEqual({ status: noTankAlone.status, body: noTankAlone.body });
    expect(first[3]).toMatchObject({ status: 404, body: { code: 'tank_not_found' } });

    // A full tank refuses the arriving fish with its 409; the abort then puts the fish back.
    // One transfer's steps in one batch run in their order: `again` is held, then put back.
    const again = randomUUID();
    const other = world.fish.id[0]!;
    const second = await results({
      steps: [
        { transfer_id: held, step: 'prepare-dest', body: { tank_id: full, payload: first[0]!.body.payload } },
        { transfer_id: held, step: 'abort', body: {} },
        { transfer_id: again, step: 'prepare-source', body: { tank_id: source, entity_id: other } },
        { transfer_id: again, step: 'abort', body: {} },
      ],
    });
    expect(second.map((r) => r.status)).toEqual([409, 200, 200, 200]);
    expect(second[0]!.body).toMatchObject({ status: 409, code: 'tank_full', type: '/problems/tank_full' });
    expect(second[1]!.body).toEqual({ transfer_id: held, restored: true, released: false });
    expect(second[3]!.body).toEqual({ transfer_id: again, restored: true, released: false });
    expect(fishIn(source)).toEqual(expect.arrayContaining([uid, second[2]!.body.entity_uid]));
    expect(fishIn(source)).toHaveLength(5);
  });

  it('should take an arriving fish in the migrating-fish format, lineage kept, and refuse a bad one naming the field', async () => {
    const far = createWorld({ seed: 3, uidPrefix: 'far', initialFish: 1 });
    const fish = {
      ...toMigratingFish(readEntity(far, far.fish.uid[0]!)),
      lineage_id: 'far.0',
      parent_uid: 'far.z',
    };
    const [good, bad, newer] = [randomUUID(), randomUUID(), randomUUID()];
    const answers = await results({
      steps: [
        { transfer_id: bad, step: 'prepare-dest', body: { tank_id: source, payload: { ...fish, age: -1 } } },
        {
          transfer_id: newer,
          step: 'prepare-dest',
          body: { tank_id: source, payload: { ...fish, version: 2 } },
        },
        { transfer_id: good, step: 'prepare-dest', body: { tank_id: source, payload: fish } },
        { transfer_id: good, step: 'commit-dest', body: { tank_id: source, entity_uid: fish.uid } },
      ],
    });
    expect(answers.map((r) => r.status)).toEqual([422, 422, 200, 200]);
    expect(answers[0]!.body).toMatchObject({ code: 'invalid_migrating_fish', errors: [{ path: 'age' }] });
    expect(answers[1]!.body).toMatchObject({ code: 'migrating_fish_version_unsupported' });
    const world = t.server.host.get(source)!.world;
    const i = world.fish.uid.indexOf(fish.uid);
    expect([world.fish.lineage[i], world.fish.parent[i]]).toEqual(['far.0', 'far.z']);
  });

  it('should refuse an unsigned batch with 401', async () => {
    const body = JSON.stringify({ steps: [{ transfer_id: randomUUID(), step: 'abort', body: {} }] });
    const res = await fetch(`${t.server.url}/internal/transfers/steps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 401, code: 'invalid_signature' });
  });

  const abort = () => ({ transfer_id: randomUUID(), step: 'abort', body: {} });
  /** A step that would take a fish out of the source tank, were the batch run. */
  const move = () => ({
    transfer_id: randomUUID(),
    step: 'prepare-source',
    body: { tank_id: source, entity_id: t.server.host.get(source)!.world.fish.id[0] },
  });
  const refusals: Array<[string, () => unknown, string]> = [
    ['a body that is not JSON', () => '{"steps": [', 'malformed_json'],
    ['a body without steps', () => ({}), 'invalid_request'],
    ['no steps at all', () => ({ steps: [] }), 'invalid_request'],
    ['an unknown step', () => ({ steps: [move(), { ...abort(), step: 'explode' }] }), 'invalid_request'],
    [
      'a step body its route refuses',
      () => ({ steps: [move(), { ...abort(), step: 'commit-source', body: { x: 1 } }] }),
      'invalid_request',
    ],
    [
      'a transfer id that is not a uuid',
      () => ({ steps: [move(), { ...abort(), transfer_id: 'nope' }] }),
      'invalid_request',
    ],
    [
      'more than 256 steps',
      () => ({ steps: [move(), ...Array.from({ length: 256 }, abort)] }),
      'invalid_request',
    ],
  ];
  it.each(refusals)('should refuse %s with a 400 problem and run none of it', async (_, body, code) => {
    const before = fishIn(source);
    const answer = await steps(body());
    expect(answer).toMatchObject({
      status: 400,
      contentType: 'application/problem+json',
      body: { status: 400, code, type: `/problems/${code}` },
    });
    expect(fishIn(source)).toEqual(before);
  });

  it('should take 256 steps', async () => {
    const answers = await results({ steps: Array.from({ length: 256 }, abort) });
    expect(answers.map((a) => a.status)).toEqual(Array(256).fill(200));
  });
});
