import { describe, expect, it } from 'vitest';
import {
  createWorld,
  extractEntity,
  GENE_KEYS,
  GENOME_RANGES,
  insertEntity,
  SimError,
  serialize,
  spawnFish,
  spawnFood,
  step,
  validateGenome,
  type World,
} from '../../src/sim/index.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    expect(err.message.length).toBeGreaterThan(5);
    return err.code;
  }
  return 'no error';
}

/** Runs `fn`, expects SimError `code`, and checks the world is exactly as before. */
function rejects(world: World, code: string, fn: () => unknown): void {
  const before = JSON.stringify(serialize(world));
  expect(codeOf(fn)).toBe(code);
  expect(JSON.stringify(serialize(world))).toBe(before);
}

function busyWorld(): World {
  const world = createWorld({ seed: 99, uidPrefix: 'v' });
  for (let t = 0; t < 1200; t++) step(world);
  return world;
}

describe('bad input', () => {
  it('should reject bad world options with invalid_options', () => {
    const bad: unknown[] = [
      { seed: -1, uidPrefix: 'a' },
      { seed: 1.5, uidPrefix: 'a' },
      { seed: '7', uidPrefix: 'a' },
      { seed: 1, uidPrefix: 'a.b' },
      { seed: 1, uidPrefix: '' },
      { seed: 1, uidPrefix: 'a', maxFish: 0 },
      { seed: 1, uidPrefix: 'a', maxFish: 5, initialFish: 6 },
      { seed: 1, uidPrefix: 'a', width: 50 },
    ];
    for (const options of bad) {
      expect(codeOf(() => createWorld(options as Parameters<typeof createWorld>[0]))).toBe('invalid_options');
    }
  });

  it('should reject bad spawn parameters and leave the world unchanged', () => {
    const world = busyWorld();
    const spawn = (o: unknown) => () => spawnFish(world, o as Parameters<typeof spawnFish>[1]);
    rejects(world, 'invalid_genome', spawn({ genome: { speed: 9 } }));
    rejects(world, 'invalid_genome', spawn({ genome: { speed: 'fast' } }));
    rejects(world, 'invalid_genome', spawn({ genome: { wings: 1 } }));
    rejects(world, 'invalid_genome', spawn({ genome: { patternType: 1.5 } }));
    rejects(world, 'invalid_genome', spawn({ genome: { hue: Number.NaN } }));
    rejects(world, 'invalid_genome', spawn({ genome: null }));
    rejects(world, 'invalid_position', spawn({ x: -5 }));
    rejects(world, 'invalid_position', spawn({ y: 10_000 }));
    rejects(world, 'invalid_position', spawn({ x: Number.POSITIVE_INFINITY }));
    rejects(world, 'invalid_options', () => spawnFood(world, { count: 0 }));
    rejects(world, 'invalid_options', () => spawnFood(world, { count: 51 }));
    rejects(world, 'invalid_options', () => spawnFood(world, { count: 2.5 }));
    rejects(world, 'invalid_position', () => spawnFood(world, { x: 5000 }));
  });

  it('should reject a full tank with tank_full', () => {
    const world = createWorld({ seed: 1, uidPrefix: 'f', maxFish: 4, initialFish: 4 });
    rejects(world, 'tank_full', () => spawnFish(world));
    const stuffed = createWorld({ seed: 1, uidPrefix: 'g', initialFish: 0 });
    for (let n = 0; n < 3; n++) spawnFood(stuffed, { count: 50 });
    rejects(stuffed, 'tank_full', () => spawnFood(stuffed, { count: 50 }));
  });

  it('should reject unknown uids and bad payloads and leave the world unchanged', () => {
    const world = busyWorld();
    const good = extractEntity(busyWorld(), world.fish.uid[0]);
    const payload = { ...good, uid: 'elsewhere.1' };
    rejects(world, 'unknown_entity', () => extractEntity(world, 'nobody.1'));
    rejects(world, 'unknown_entity', () => extractEntity(world, 42 as unknown as string));
    const badPayloads: unknown[] = [
      null,
      'fish',
      {},
      { ...payload, kind: 'shark' },
      { ...payload, uid: 'no-dot' },
      { ...payload, genome: undefined },
      { ...payload, genome: { ...payload.genome, size: 3 } },
      { ...payload, energy: 10_000 },
      { ...payload, energy: 0 },
      { ...payload, age: -1 },
      { ...payload, age: 99_999 },
      { ...payload, vx: 'fast' },
      { ...payload, pregnancy: { frames: 10, generation: 1, genome: { speed: 1 } } },
      { ...payload, poker: { ...payload.poker, effect: 'exploded' } },
      { ...payload, wander: null },
    ];
    for (const bad of badPayloads) rejects(world, 'invalid_payload', () => insertEntity(world, bad));
    rejects(world, 'invalid_position', () => insertEntity(world, payload, { x: -1 }));
    const ok = insertEntity(world, payload);
    expect(ok.uid).toBe('elsewhere.1');
  });

  it('should publish gene ranges that accept every genome the sim makes', () => {
    const world = busyWorld();
    const genomes = serialize(world).fish.map((f) => f.genome);
    for (const genome of genomes) expect(validateGenome(genome)).toEqual(genome);
    for (const key of GENE_KEYS) {
      const { min, max } = GENOME_RANGES[key];
      expect(min).toBeLessThan(max);
      for (const genome of genomes) {
        expect(genome[key]).toBeGreaterThanOrEqual(min);
        expect(genome[key]).toBeLessThanOrEqual(max);
      }
    }
  });
});
