/**
 * @module
 * A new tank in the original's start state, from validated options and a seed. It seeds the
 * tank with the same code that later spawns fish, food and plants, so it stands above those
 * modules, apart from the world's state (`world.ts`) that they all read.
 */
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, PLANT_BASE_ENERGY } from './constants.ts';
import { createCrab } from './crab-state.ts';
import { updateDay } from './day.ts';
import { SimError } from './errors.ts';
import { dropFlake } from './food.ts';
import { addPlant, freeSpot, randomPlantGenes } from './plants.ts';
import { createRng, uniform } from './rng.ts';
import { placeRandomFish } from './spawn.ts';
import { type CreateWorldOptions, emptyWorld, UID_PREFIX_PATTERN, type World } from './world.ts';

function checkOptions(o: CreateWorldOptions): void {
  const bad = (msg: string) => new SimError('invalid_options', msg);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw bad('seed must be a non-negative safe integer');
  if (typeof o.uidPrefix !== 'string' || !UID_PREFIX_PATTERN.test(o.uidPrefix)) {
    throw bad('uidPrefix must be 1–64 letters, digits, _ or -');
  }
  const int = (v: unknown, name: string, min: number, max: number) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      throw bad(`${name} must be an integer within ${min}–${max}`);
    }
  };
  int(o.maxFish, 'maxFish', 1, 10_000);
  int(o.initialFish, 'initialFish', 0, o.maxFish as number);
  int(o.width, 'width', 200, 10_000);
  int(o.height, 'height', 200, 10_000);
}

/**
 * Creates a tank in the original's start state: `initialFish` random fish around (300, 200),
 * 8 flakes, one crab on the bottom and 3 grown plants on random root spots.
 *
 * @example
 * ```ts
 * const world = createWorld({ seed: 42, uidPrefix: 't7' });
 * for (let t = 0; t < 30; t++) step(world);
 * console.log(world.frame, worldStats(world).fishCount);
 * ```
 */
export function createWorld({
  seed,
  uidPrefix,
  maxFish = 100,
  initialFish = 10,
  width = DEFAULT_WIDTH,
  height = DEFAULT_HEIGHT,
}: CreateWorldOptions): World {
  const options = { seed, uidPrefix, maxFish, initialFish, width, height };
  checkOptions(options);
  const rng = createRng(seed);
  const sx = width / DEFAULT_WIDTH;
  // The crab takes local id 1; emptyWorld starts counting after it.
  const world = emptyWorld(options, rng, createCrab(rng, 1, 250 * sx, height - 45));
  const sy = height / DEFAULT_HEIGHT;
  for (let n = 0; n < initialFish; n++) {
    placeRandomFish(world, uniform(rng, 200, 400) * sx, uniform(rng, 140, 260) * sy, {});
  }
  for (let n = 0; n < 8; n++) {
    const k = dropFlake(world, ((n + 0.5) * width) / 8);
    world.food.y[k] = ((n % 4) + 1) * 0.15 * height;
  }
  for (let n = 0; n < 3; n++)
    addPlant(world, freeSpot(world), randomPlantGenes(world.rng), PLANT_BASE_ENERGY);
  updateDay(world.day, 0);
  return world;
}
