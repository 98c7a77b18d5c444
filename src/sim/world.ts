/**
 * @module
 * A tank's world: its state, how one is created, and the tick that advances it by one frame.
 */
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, MAX_FOOD, NEIGHBOUR_RANGE, PLANT_BASE_ENERGY } from './constants.ts';
import { type Crab, createCrab, updateCrab } from './crab.ts';
import { createDayState, type DayState, updateDay } from './day.ts';
import { SimError } from './errors.ts';
import { type Counters, createCounters, createEvents, type StepEvents } from './events.ts';
import { updateFish } from './fish.ts';
import { createFishStore, type FishStore } from './fish-store.ts';
import { autoSpawnFood, dropFlake, updateFood } from './food.ts';
import { createFoodStore, type FoodStore } from './food-store.ts';
import type { FrameView } from './frame-view.ts';
import { createGrid, type Grid } from './grid.ts';
import { interact } from './interactions.ts';
import {
  addPlant,
  createPlantStore,
  freeSpot,
  type PlantStore,
  randomPlantGenes,
  updatePlants,
} from './plants.ts';
import { createPokerScratch, type PokerScratch } from './poker.ts';
import { createRng, type Rng, uniform } from './rng.ts';
import { placeRandomFish } from './spawn.ts';

/**
 * One tank's complete simulation state. Read `frame` and `seed` freely; change the world only
 * through this module's functions. Everything else here is internal and may change.
 */
export interface World {
  readonly seed: number;
  readonly uidPrefix: string;
  readonly width: number;
  readonly height: number;
  readonly maxFish: number;
  /**
   * Fish slots held for transfers in flight (a fish held out of this tank, or room promised to
   * an arriving one): births and spawns see the tank as full this much sooner, so a held fish
   * can always come back and a promised arrival always fits. Not part of a snapshot: the
   * server rebuilds it from its open reservations.
   */
  heldSlots: number;
  frame: number;
  readonly rng: Rng;
  /** Next local id, shared by every entity kind so ids are unique within the tank. */
  nextId: number;
  /** Next fish uid number (base 36 after the prefix). */
  nextUid: number;
  /** Frames since the last automatic food drop. */
  foodTimer: number;
  /** Total fish energy after this tick's fish update (drives the food rate). */
  fishEnergy: number;
  readonly day: DayState;
  readonly fish: FishStore;
  readonly food: FoodStore;
  readonly plants: PlantStore;
  readonly crab: Crab;
  readonly grid: Grid;
  readonly counters: Counters;
  readonly events: StepEvents;
  readonly poker: PokerScratch;
  /** The cached frame view, made on first use. */
  view: FrameView | null;
}

export interface CreateWorldOptions {
  /** Any safe non-negative integer; the same seed gives the same tank, frame for frame. */
  seed: number;
  /** Prefix of every fish uid born here: letters, digits, `_` or `-` (no dots), 1–64 long. */
  uidPrefix: string;
  maxFish?: number;
  initialFish?: number;
  width?: number;
  height?: number;
}

export const UID_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

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
 * Room for fish beyond `maxFish`, used only when fish that are already a tank's come back onto
 * an older snapshot (a transfer journal replayed after a restart, while fish that died since
 * the snapshot are alive again in it): they are never turned away. Births and arrivals still
 * stop at `maxFish`.
 */
export const FISH_HEADROOM = 16;

/** Builds the empty world (no entities) that `createWorld` and `restore` fill. */
export function emptyWorld(o: Required<CreateWorldOptions>, rng: Rng, crab: Crab): World {
  return {
    seed: o.seed,
    uidPrefix: o.uidPrefix,
    width: o.width,
    height: o.height,
    maxFish: o.maxFish,
    heldSlots: 0,
    frame: 0,
    rng,
    nextId: crab.id + 1,
    nextUid: 1,
    foodTimer: 0,
    fishEnergy: 0,
    day: createDayState(),
    fish: createFishStore(o.maxFish + FISH_HEADROOM),
    food: createFoodStore(MAX_FOOD),
    plants: createPlantStore(),
    crab,
    grid: createGrid({
      width: o.width,
      height: o.height,
      cellSize: NEIGHBOUR_RANGE,
      capacity: o.maxFish + FISH_HEADROOM,
    }),
    counters: createCounters(),
    events: createEvents(),
    poker: createPokerScratch(),
    view: null,
  };
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

/**
 * Advances the world by one frame (1/30 s) and returns what happened in it. The returned object
 * is reused by the next call.
 *
 * Order: clock; crab; neighbour pass (separation, schooling, poker, mating); fish (steer, eat,
 * pay, give birth, die); food; plants; automatic food.
 */
export function step(world: World): StepEvents {
  const events = world.events;
  events.births.length = 0;
  events.deaths.length = 0;
  events.pokerHands.length = 0;
  world.frame++;
  events.frame = world.frame;
  updateDay(world.day, world.frame);
  updateCrab(world);
  interact(world);
  updateFish(world);
  updateFood(world);
  updatePlants(world);
  autoSpawnFood(world);
  return events;
}
