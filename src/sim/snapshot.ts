/**
 * @module
 * Whole-world snapshots as plain JSON: every entity in storage order, the RNG state, the frame
 * and the counters. Restoring one and stepping on gives exactly the frames the original world
 * would have produced.
 */
import { checker } from './check.ts';
import { MAX_FOOD, ROOT_SPOTS } from './constants.ts';
import type { Crab } from './crab-state.ts';
import { updateDay } from './day.ts';
import { SimError } from './errors.ts';
import { type Counters, createCounters } from './events.ts';
import { addFishSlot } from './fish-store.ts';
import { addFoodSlot, FOOD_TYPE_NAMES, type FoodType, type FoodTypeName } from './food-store.ts';
import { type ObituarySnapshot, restoreObituaries, serializeObituaries } from './obituaries.ts';
import { type FishPayload, readFish, validateFishPayload, writeFish } from './payload.ts';
import { PLANT_GENE_RANGES, spotX, spotY } from './plants.ts';
import { rngFromState, rngState } from './rng.ts';
import { emptyWorld, UID_PREFIX_PATTERN, type World } from './world.ts';

export const SNAPSHOT_VERSION = 1;

export interface FoodSnapshot {
  id: number;
  type: FoodTypeName;
  x: number;
  y: number;
  vx: number;
  vy: number;
  energy: number;
  /** Index of the plant holding this nectar, -1 otherwise. */
  plant: number;
  timer: number;
  life: number;
}

export interface PlantSnapshot {
  id: number;
  spot: number;
  energy: number;
  maxEnergy: number;
  rate: number;
  threshold: number;
  hue: number;
  age: number;
  nectarCooldown: number;
  nectarReady: boolean;
}

export interface WorldSnapshot {
  version: typeof SNAPSHOT_VERSION;
  seed: number;
  uidPrefix: string;
  width: number;
  height: number;
  maxFish: number;
  frame: number;
  nextId: number;
  nextUid: number;
  foodTimer: number;
  /** xoroshiro128+ state words. */
  rng: number[];
  fish: Array<FishPayload & { id: number }>;
  food: FoodSnapshot[];
  plants: PlantSnapshot[];
  crab: Crab;
  counters: Counters;
  /**
   * The most recent deaths, oldest first (`obituaries.ts`). Absent in snapshots from before it
   * was kept: those restore with an empty record (the version stays 1, as for lineages).
   */
  deaths?: ObituarySnapshot[];
}

/**
 * The world as a plain JSON-able object.
 *
 * @example
 * ```ts
 * const saved = JSON.stringify(serialize(world));
 * const again = restore(JSON.parse(saved));
 * ```
 */
export function serialize(world: World): WorldSnapshot {
  const { fish: f, food, plants: p } = world;
  const fish: WorldSnapshot['fish'] = [];
  for (let i = 0; i < f.count; i++) fish.push({ id: f.id[i], ...readFish(world, i) });
  const foods: FoodSnapshot[] = [];
  for (let k = 0; k < food.count; k++) {
    foods.push({
      id: food.id[k],
      type: FOOD_TYPE_NAMES[food.type[k]],
      x: food.x[k],
      y: food.y[k],
      vx: food.vx[k],
      vy: food.vy[k],
      energy: food.energy[k],
      plant: food.plant[k],
      timer: food.timer[k],
      life: food.life[k],
    });
  }
  const plants: PlantSnapshot[] = [];
  for (let i = 0; i < p.count; i++) {
    plants.push({
      id: p.id[i],
      spot: p.spot[i],
      energy: p.energy[i],
      maxEnergy: p.maxEnergy[i],
      rate: p.rate[i],
      threshold: p.threshold[i],
      hue: p.hue[i],
      age: p.age[i],
      nectarCooldown: p.nectarCooldown[i],
      nectarReady: p.nectarReady[i] === 1,
    });
  }
  return {
    version: SNAPSHOT_VERSION,
    seed: world.seed,
    uidPrefix: world.uidPrefix,
    width: world.width,
    height: world.height,
    maxFish: world.maxFish,
    frame: world.frame,
    nextId: world.nextId,
    nextUid: world.nextUid,
    foodTimer: world.foodTimer,
    rng: rngState(world.rng),
    fish,
    food: foods,
    plants,
    crab: { ...world.crab },
    counters: structuredClone(world.counters),
    deaths: serializeObituaries(world.obituaries, world.uidPrefix),
  };
}

/**
 * A world from a snapshot; throws `SimError('invalid_snapshot')` naming the first bad field.
 */
export function restore(snapshot: unknown): World {
  const c = checker('invalid_snapshot');
  const s = c.obj(snapshot, 'snapshot');
  if (s.version !== SNAPSHOT_VERSION) {
    throw new SimError('invalid_snapshot', `version must be ${SNAPSHOT_VERSION}, got ${String(s.version)}`);
  }
  const maxFish = c.int(s.maxFish, 'maxFish', 1, 10_000);
  const options = {
    seed: c.int(s.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
    uidPrefix: c.str(s.uidPrefix, 'uidPrefix', UID_PREFIX_PATTERN),
    width: c.int(s.width, 'width', 200, 10_000),
    height: c.int(s.height, 'height', 200, 10_000),
    maxFish,
    initialFish: 0,
  };
  const state = c.arr(s.rng, 'rng').map((v, n) => c.int(v, `rng[${n}]`, -(2 ** 31), 2 ** 31 - 1));
  if (state.length !== 4) throw new SimError('invalid_snapshot', 'rng must hold 4 state words');
  const world = emptyWorld(options, rngFromState(state), restoreCrab(c.obj(s.crab, 'crab')));
  world.frame = c.int(s.frame, 'frame');
  world.nextId = c.int(s.nextId, 'nextId', 1);
  world.nextUid = c.int(s.nextUid, 'nextUid', 1, Number.MAX_SAFE_INTEGER);
  world.foodTimer = c.int(s.foodTimer, 'foodTimer');
  restoreFish(world, c.arr(s.fish, 'fish'));
  restorePlants(world, c.arr(s.plants, 'plants'));
  restoreFood(world, c.arr(s.food, 'food'));
  restoreCounters(world.counters, c.obj(s.counters, 'counters'));
  restoreObituaries(world.obituaries, s.deaths, world.uidPrefix, world.frame);
  updateDay(world.day, world.frame);
  return world;
}

function restoreCrab(o: Record<string, unknown>): Crab {
  const c = checker('invalid_snapshot');
  return {
    id: c.int(o.id, 'crab.id'),
    x: c.num(o.x, 'crab.x'),
    y: c.num(o.y, 'crab.y'),
    vx: c.num(o.vx, 'crab.vx'),
    energy: c.num(o.energy, 'crab.energy', 0),
    maxEnergy: c.num(o.maxEnergy, 'crab.maxEnergy', 0),
    speed: c.num(o.speed, 'crab.speed', 0),
    metabolism: c.num(o.metabolism, 'crab.metabolism', 0),
    huntCooldown: c.int(o.huntCooldown, 'crab.huntCooldown'),
  };
}

function restoreFish(world: World, list: unknown[]): void {
  const c = checker('invalid_snapshot');
  if (list.length > world.fish.capacity)
    throw new SimError('invalid_snapshot', 'more fish than maxFish allows');
  const seen = new Set<string>();
  list.forEach((raw, n) => {
    let p: FishPayload;
    try {
      p = validateFishPayload(raw);
    } catch (err) {
      throw new SimError('invalid_snapshot', `fish[${n}]: ${(err as Error).message}`);
    }
    if (seen.has(p.uid)) throw new SimError('invalid_snapshot', `fish[${n}]: duplicate uid ${p.uid}`);
    seen.add(p.uid);
    const id = c.int((raw as { id: unknown }).id, `fish[${n}].id`);
    writeFish(world, addFishSlot(world.fish, id, p.uid), p, p.x, p.y);
  });
}

function restorePlants(world: World, list: unknown[]): void {
  const c = checker('invalid_snapshot');
  const p = world.plants;
  if (list.length > ROOT_SPOTS) throw new SimError('invalid_snapshot', 'more plants than root spots');
  const r = PLANT_GENE_RANGES;
  list.forEach((raw, i) => {
    const o = c.obj(raw, `plants[${i}]`);
    const spot = c.int(o.spot, `plants[${i}].spot`, 0, ROOT_SPOTS - 1);
    if (p.spotPlant[spot] >= 0)
      throw new SimError('invalid_snapshot', `plants[${i}]: spot ${spot} taken twice`);
    p.id[i] = c.int(o.id, `plants[${i}].id`);
    p.spot[i] = spot;
    p.x[i] = spotX(world.width, spot);
    p.y[i] = spotY(world.height, spot);
    p.maxEnergy[i] = c.num(o.maxEnergy, `plants[${i}].maxEnergy`, 1);
    p.energy[i] = c.num(o.energy, `plants[${i}].energy`, 0, p.maxEnergy[i]);
    p.rate[i] = c.num(o.rate, `plants[${i}].rate`, r.rate.min, r.rate.max);
    p.threshold[i] = c.num(o.threshold, `plants[${i}].threshold`, r.threshold.min, r.threshold.max);
    p.hue[i] = c.num(o.hue, `plants[${i}].hue`, r.hue.min, r.hue.max);
    p.age[i] = c.int(o.age, `plants[${i}].age`);
    p.nectarCooldown[i] = c.int(o.nectarCooldown, `plants[${i}].nectarCooldown`);
    p.nectarReady[i] = c.bool(o.nectarReady, `plants[${i}].nectarReady`) ? 1 : 0;
    p.size[i] = 0.3 + (0.7 * p.energy[i]) / p.maxEnergy[i];
    p.spotPlant[spot] = i;
    p.count = i + 1;
  });
}

function restoreFood(world: World, list: unknown[]): void {
  const c = checker('invalid_snapshot');
  const food = world.food;
  if (list.length > MAX_FOOD) throw new SimError('invalid_snapshot', 'more food than the store holds');
  list.forEach((raw, n) => {
    const o = c.obj(raw, `food[${n}]`);
    const type = FOOD_TYPE_NAMES.indexOf(c.oneOf(o.type, `food[${n}].type`, FOOD_TYPE_NAMES)) as FoodType;
    const k = addFoodSlot(
      food,
      c.int(o.id, `food[${n}].id`),
      type,
      c.num(o.x, `food[${n}].x`),
      c.num(o.y, `food[${n}].y`),
    );
    food.vx[k] = c.num(o.vx, `food[${n}].vx`);
    food.vy[k] = c.num(o.vy, `food[${n}].vy`);
    food.energy[k] = c.num(o.energy, `food[${n}].energy`, 0, food.maxEnergy[k]);
    food.plant[k] = c.int(o.plant, `food[${n}].plant`, -1, world.plants.count - 1);
    food.timer[k] = c.int(o.timer, `food[${n}].timer`, -(2 ** 31));
    food.life[k] = c.int(o.life, `food[${n}].life`, -(2 ** 31));
  });
}

function restoreCounters(into: Counters, o: Record<string, unknown>): void {
  const c = checker('invalid_snapshot');
  const births = c.obj(o.births, 'counters.births');
  const deaths = c.obj(o.deaths, 'counters.deaths');
  const fresh = createCounters();
  for (const key of Object.keys(fresh.births) as (keyof Counters['births'])[]) {
    into.births[key] = c.int(births[key], `counters.births.${key}`);
  }
  for (const key of Object.keys(fresh.deaths) as (keyof Counters['deaths'])[]) {
    into.deaths[key] = c.int(deaths[key], `counters.deaths.${key}`);
  }
  into.transfersIn = c.int(o.transfersIn, 'counters.transfersIn');
  into.transfersOut = c.int(o.transfersOut, 'counters.transfersOut');
  into.pokerHands = c.int(o.pokerHands, 'counters.pokerHands');
  into.pokerTies = c.int(o.pokerTies, 'counters.pokerTies');
  into.pokerEnergyMoved = c.num(o.pokerEnergyMoved, 'counters.pokerEnergyMoved', 0);
  into.houseCut = c.num(o.houseCut, 'counters.houseCut', 0);
  into.maxGeneration = c.int(o.maxGeneration, 'counters.maxGeneration');
}
