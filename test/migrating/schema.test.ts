import { describe, expect, it } from 'vitest';
import {
  fromMigratingFish,
  type MigratingFish,
  MigratingFishError,
  parseArrivingFish,
  parseMigratingFish,
  toMigratingFish,
} from '../../src/migrating/index.ts';
import { createWorld, extractEntity, type FishPayload, step, type World } from '../../src/sim/index.ts';
import { createRng, randomInt } from '../../src/sim/rng.ts';

function grown(seed: number): World {
  const world = createWorld({ seed, uidPrefix: 'm' });
  for (let t = 0; t < 2500; t++) step(world);
  return world;
}

/** A fish of the grown world as migrating-fish JSON: a pregnant one with a parent when there is one. */
function sample(world: World): { payload: FishPayload; body: MigratingFish } {
  const f = world.fish;
  let i = 0;
  for (let k = 0; k < f.count; k++) if (f.pregnancy[k] > 0 && f.parent[k] !== null) i = k;
  const payload = extractEntity(world, f.uid[i]);
  return { payload, body: JSON.parse(JSON.stringify(toMigratingFish(payload))) };
}

function errorOf(value: unknown): MigratingFishError {
  try {
    parseMigratingFish(value);
  } catch (err) {
    if (err instanceof MigratingFishError) return err;
    throw err;
  }
  throw new Error('parsed');
}

/** Sets the value at a dotted path of a deep copy. */
function withField(body: unknown, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  if (value === undefined) delete at[keys.at(-1) as string];
  else at[keys.at(-1) as string] = value;
  return copy;
}

describe('migrating fish v1', () => {
  const world = grown(2024);
  const { payload, body } = sample(world);

  it('should convert a fish there and back without losing anything, lineage included', () => {
    expect(body).toMatchObject({ format: 'tankworld.fish', version: 1, uid: payload.uid });
    expect(body.lineage_id).toBe(payload.lineageId);
    expect(body.parent_uid).toBe(payload.parentUid);
    expect(parseMigratingFish(body)).toEqual(payload);
    expect(fromMigratingFish(body)).toEqual(payload);
    expect(body.pregnancy).not.toBeNull();
  });

  it('should name the path of every bad field', () => {
    const cases: Array<[string, unknown]> = [
      ['format', 'other.fish'],
      ['version', 0],
      ['version', 1.5],
      ['version', '1'],
      ['uid', 'no dot'],
      ['lineage_id', 42],
      ['parent_uid', ''],
      ['generation', -1],
      ['genome.speed', 9],
      ['genome.template', 2.5],
      ['genome.hue', undefined],
      ['genome.gills', 1],
      ['energy', 0],
      ['energy', 1e9],
      ['age', 1e8],
      ['age', 3.5],
      ['position', undefined],
      ['position.x', 'left'],
      ['velocity.y', 11],
      ['mating_cooldown', -3],
      ['pregnancy.frames', 0],
      ['pregnancy.genome.size', 5],
      ['crab_scare', 1e6],
      ['wander.x', 2],
      ['bites', null],
      ['poker.effect', 'sulk'],
      ['poker.effect_frames', 99],
      ['poker.button', 'yes'],
      ['colour', 'red'],
    ];
    for (const [path, value] of cases) {
      const err = errorOf(withField(body, path, value));
      expect(err.code, path).toBe('invalid_migrating_fish');
      expect(err.status).toBe(422);
      expect(
        err.errors.map((e) => e.path),
        `${path} = ${JSON.stringify(value)}`,
      ).toContain(path);
      expect(err.message).toContain(path);
    }
    // Two faults, two paths.
    const two = errorOf(withField(withField(body, 'genome.speed', 0), 'poker.wins', -1));
    expect(two.errors.map((e) => e.path).sort()).toEqual(['genome.speed', 'poker.wins']);
    for (const value of [null, 7, 'fish', [body]])
      expect(errorOf(value).errors).toEqual([{ path: '', message: 'must be an object' }]);
  });

  it('should refuse a newer version with its own code', () => {
    const err = errorOf({ ...body, version: 2, fins_v2: { count: 3 } });
    expect(err.code).toBe('migrating_fish_version_unsupported');
    expect(err.status).toBe(422);
    expect(err.errors).toEqual([{ path: 'version', message: expect.stringContaining('newer') }]);
  });

  it('should read a transfer payload in either format', () => {
    expect(parseArrivingFish(body)).toEqual(payload);
    expect(parseArrivingFish(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
    expect(() => parseArrivingFish({ ...body, energy: -1 })).toThrow(MigratingFishError);
  });

  it('should answer a few hundred mutated bodies with a parse or a MigratingFishError, nothing else', () => {
    const rng = createRng(77);
    const hostile: unknown[] = [
      null,
      true,
      -0,
      1e308,
      Number.NaN,
      '',
      'x'.repeat(300),
      [],
      {},
      { __proto__: { a: 1 } },
      [1, 2],
      -1,
      2 ** 53,
    ];
    const paths: string[][] = [];
    const walk = (v: unknown, at: string[]) => {
      if (typeof v !== 'object' || v === null) return;
      for (const [k, child] of Object.entries(v)) {
        paths.push([...at, k]);
        walk(child, [...at, k]);
      }
    };
    walk(body, []);
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const mutated = structuredClone(body) as Record<string, unknown>;
      for (let m = 0; m <= randomInt(rng, 3); m++) {
        const path = paths[randomInt(rng, paths.length)];
        let at = mutated as Record<string, unknown>;
        for (const k of path.slice(0, -1)) {
          if (typeof at[k] !== 'object' || at[k] === null) break;
          at = at[k] as Record<string, unknown>;
        }
        const key = path.at(-1) as string;
        const pick = randomInt(rng, 4);
        if (pick === 0) delete at[key];
        else if (pick === 1) at[key] = hostile[randomInt(rng, hostile.length)];
        else if (pick === 2 && typeof at[key] === 'number')
          at[key] = (at[key] as number) * (randomInt(rng, 2000) - 1000);
        else at[`${key}_${n}`] = 1;
      }
      try {
        parseMigratingFish(JSON.parse(JSON.stringify(mutated)));
      } catch (err) {
        expect(err).toBeInstanceOf(MigratingFishError);
        expect((err as MigratingFishError).errors.length).toBeGreaterThan(0);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(300);
  });
});
