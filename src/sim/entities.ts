/**
 * @module
 * Entity operations from outside the tick: spawning fish and food, moving a fish out of one world
 * and into another with its uid and state intact, and plain entity views for REST. Every
 * function validates first and changes nothing when it throws.
 */
import { checker } from './check.ts';
import { FISH_HALF, TOP_MARGIN } from './constants.ts';
import { SimError } from './errors.ts';
import { addFishSlot, indexOfUid, removeFishAt } from './fish-store.ts';
import { dropFlake } from './food.ts';
import { FOOD_TYPE_NAMES, type FoodTypeName } from './food-store.ts';
import { type Genome, readGenome, validateGenome } from './genome.ts';
import { clamp } from './math.ts';
import { type FishPayload, readFish, validateFishPayload, writeFish } from './payload.ts';
import { recordBirth } from './reproduction.ts';
import { uniform } from './rng.ts';
import { placeRandomFish } from './spawn.ts';
import type { World } from './world.ts';

/** Local id (unique within the tank, new on every insert) and global uid (never changes). */
export interface EntityRef {
  id: number;
  uid: string;
}

/** A self-contained entity as it travels between worlds; only fish travel. */
export type EntityPayload = FishPayload;

export interface Position {
  x?: number;
  y?: number;
}

/** A position from outside, checked against the tank's walls. */
export function position(world: World, { x, y }: Position): Position {
  const c = checker('invalid_position');
  return {
    x: x === undefined ? undefined : c.num(x, 'x', 0, world.width),
    y: y === undefined ? undefined : c.num(y, 'y', 0, world.height),
  };
}

/** Throws `tank_full` unless a fish fits, counting the slots held for others (see `World.heldSlots`). */
export function ensureRoom(world: World): void {
  if (world.fish.count + world.heldSlots >= world.maxFish) {
    throw new SimError('tank_full', `the tank holds its maximum of ${world.maxFish} fish`);
  }
}

/**
 * Adds a generation-0 fish at half energy. Genes not given are random; position defaults to a
 * random place in the water.
 *
 * @example
 * ```ts
 * const { id, uid } = spawnFish(world, { genome: { hue: 0.6 }, x: 500, y: 300 });
 * ```
 */
export function spawnFish(
  world: World,
  options: { genome?: Partial<Genome>; x?: number; y?: number } = {},
): EntityRef {
  const genome = options.genome === undefined ? {} : validateGenome(options.genome, { partial: true });
  const at = position(world, options);
  ensureRoom(world);
  const x = at.x ?? uniform(world.rng, FISH_HALF, world.width - FISH_HALF);
  const y = at.y ?? uniform(world.rng, TOP_MARGIN + FISH_HALF, world.height - 100);
  const i = placeRandomFish(world, x, y, genome);
  recordBirth(world, i, 'spawned', []);
  return { id: world.fish.id[i], uid: world.fish.uid[i] };
}

/**
 * Drops `count` (1–50) flakes at the surface, at `x` or at random places. Throws `tank_full`
 * when the food store cannot take them all.
 */
export function spawnFood(world: World, { count = 1, x }: { count?: number; x?: number } = {}): number[] {
  const c = checker('invalid_options');
  c.int(count, 'count', 1, 50);
  const at = position(world, { x });
  if (world.food.count + count > world.food.capacity) {
    throw new SimError('tank_full', `the tank holds its maximum of ${world.food.capacity} food items`);
  }
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const k = dropFlake(world, at.x ?? uniform(world.rng, 20, world.width - 20));
    ids.push(world.food.id[k]);
  }
  return ids;
}

/**
 * Removes the fish with this uid and returns everything needed to recreate it elsewhere.
 * Throws `unknown_entity` if no fish here has that uid. With `hold`, its slot stays held
 * (see `World.heldSlots`) so the fish can come back whatever is born meanwhile.
 */
export function extractEntity(
  world: World,
  uid: string,
  { hold = false }: { hold?: boolean } = {},
): EntityPayload {
  const i = typeof uid === 'string' ? indexOfUid(world.fish, uid) : -1;
  if (i < 0) throw new SimError('unknown_entity', `no fish with uid '${String(uid)}' in this tank`);
  const payload = readFish(world, i);
  removeFishAt(world.fish, i);
  world.counters.transfersOut++;
  if (hold) world.heldSlots++;
  return payload;
}

/**
 * Holds a free fish slot (room promised to an arriving fish); throws `tank_full` when every
 * slot is taken or held.
 *
 * @example
 * ```ts
 * holdFishSlot(world); // prepare: room reserved
 * insertEntity(world, payload, { held: true }); // commit: the arrival takes it
 * ```
 */
export function holdFishSlot(world: World): void {
  ensureRoom(world);
  world.heldSlots++;
}

/** Gives a held slot back (an arrival that will not come, a held fish that left for good). */
export function releaseFishSlot(world: World): void {
  if (world.heldSlots > 0) world.heldSlots--;
}

/** The local id of the fish with this uid, or undefined. */
export function fishIdOf(world: World, uid: string): number | undefined {
  const i = indexOfUid(world.fish, uid);
  return i < 0 ? undefined : world.fish.id[i];
}

/** The uid of the fish with this local id, or undefined. */
export function fishUidOf(world: World, id: number): string | undefined {
  const i = world.fish.id.subarray(0, world.fish.count).indexOf(id);
  return i < 0 ? undefined : world.fish.uid[i];
}

/** True when no entity here has local id `id` and it was handed out before (ids only grow). */
function idIsFree(world: World, id: number): boolean {
  if (!Number.isSafeInteger(id) || id < 0 || id >= world.nextId) return false;
  const { fish, food, plants } = world;
  return (
    fish.id.subarray(0, fish.count).indexOf(id) < 0 &&
    food.id.subarray(0, food.count).indexOf(id) < 0 &&
    plants.id.subarray(0, plants.count).indexOf(id) < 0
  );
}

/**
 * Adds a fish from a payload under a new local id, with the same uid and state. The position is
 * the payload's (pulled inside this tank's walls) unless `x`/`y` are given. With `held`, the
 * fish takes one held slot (from `holdFishSlot` or `extractEntity(…, { hold: true })`). With
 * `id`, a fish coming back (an aborted transfer) gets its old local id again when no entity here
 * has it (ids are never handed out twice, so only a fish put back under it first could). With
 * `overfill`, a full tank takes it anyway: a fish that is already this tank's (replayed from the
 * transfer journal onto an older snapshot) must not be lost; births wait until there is room.
 */
export function insertEntity(
  world: World,
  payload: unknown,
  {
    held = false,
    id,
    overfill = false,
    ...at
  }: Position & { held?: boolean; id?: number; overfill?: boolean } = {},
): EntityRef {
  const p = validateFishPayload(payload);
  const pos = position(world, at);
  // A fish taking a held slot needs no more room: the slot is its room, held while the tank had
  // it. A restart's journal replay or an admin's restore may since have brought back fish that
  // had died, putting the tank at or over maxFish; counting those, a paused tank refused a
  // committed arrival (or an aborted fish coming home) on every retry, and the transfer never
  // ended. Only the store's headroom bounds it then.
  if (!overfill && !(held && world.heldSlots > 0)) ensureRoom(world);
  else if (world.fish.count >= world.fish.capacity)
    throw new SimError('tank_full', `the tank holds ${world.fish.count} fish, all it has room for`);
  if (indexOfUid(world.fish, p.uid) >= 0) {
    throw new SimError('duplicate_entity', `a fish with uid '${p.uid}' is already in this tank`);
  }
  const x = clamp(pos.x ?? p.x, FISH_HALF, world.width - FISH_HALF);
  const y = clamp(pos.y ?? p.y, TOP_MARGIN + FISH_HALF, world.height - FISH_HALF);
  const i = addFishSlot(world.fish, id !== undefined && idIsFree(world, id) ? id : world.nextId++, p.uid);
  writeFish(world, i, p, x, y);
  world.counters.transfersIn++;
  if (held) releaseFishSlot(world);
  if (p.generation > world.counters.maxGeneration) world.counters.maxGeneration = p.generation;
  return { id: world.fish.id[i], uid: p.uid };
}

export type EntityView =
  | {
      kind: 'fish';
      id: number;
      uid: string;
      lineageId: string;
      parentUid: string | null;
      x: number;
      y: number;
      vx: number;
      vy: number;
      energy: number;
      maxEnergy: number;
      size: number;
      generation: number;
      age: number;
      genome: Genome;
    }
  | {
      kind: 'food';
      id: number;
      type: FoodTypeName;
      x: number;
      y: number;
      vx: number;
      vy: number;
      energy: number;
    }
  | {
      kind: 'plant';
      id: number;
      x: number;
      y: number;
      energy: number;
      maxEnergy: number;
      size: number;
      nectarReady: boolean;
    }
  | { kind: 'crab'; id: number; x: number; y: number; vx: number; energy: number };

/** Every entity as a plain object (positions are centres), fish first. */
export function listEntities(world: World): EntityView[] {
  const { fish: f, food, plants: p, crab } = world;
  const out: EntityView[] = [];
  for (let i = 0; i < f.count; i++) {
    out.push({
      kind: 'fish',
      id: f.id[i],
      uid: f.uid[i],
      lineageId: f.lineage[i],
      parentUid: f.parent[i],
      x: f.x[i],
      y: f.y[i],
      vx: f.vx[i],
      vy: f.vy[i],
      energy: f.energy[i],
      maxEnergy: f.maxEnergy[i],
      size: f.size[i],
      generation: f.generation[i],
      age: f.age[i],
      genome: readGenome(f.genes, i),
    });
  }
  for (let k = 0; k < food.count; k++) {
    const type = FOOD_TYPE_NAMES[food.type[k]];
    out.push({
      kind: 'food',
      id: food.id[k],
      type,
      x: food.x[k],
      y: food.y[k],
      vx: food.vx[k],
      vy: food.vy[k],
      energy: food.energy[k],
    });
  }
  for (let i = 0; i < p.count; i++) {
    out.push({
      kind: 'plant',
      id: p.id[i],
      x: p.x[i],
      y: p.y[i],
      energy: p.energy[i],
      maxEnergy: p.maxEnergy[i],
      size: p.size[i],
      nectarReady: p.nectarReady[i] === 1,
    });
  }
  out.push({ kind: 'crab', id: crab.id, x: crab.x, y: crab.y, vx: crab.vx, energy: crab.energy });
  return out;
}
