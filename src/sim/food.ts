/**
 * @module
 * Food behaviour (C.6): flakes sink faster and faster and vanish at the bottom, live food wanders
 * and flees fish, nectar waits on its plant; new food drops in at a rate that rises when the
 * fish are few or hungry.
 */
import { LIVE_FLEE_RANGE, LIVE_LIFETIME, LIVE_SPEED, FLAKE_SINK as SINK, TOP_MARGIN } from './constants.ts';
import { addFoodSlot, FLAKE_SINK, FLAKE_WEIGHTS, FoodType, removeFoodAt } from './food-store.ts';
import { nectarGone } from './plants.ts';
import { random, randomInt, uniform } from './rng.ts';
import type { World } from './world.ts';

const LIVE_FLEE_SPEED = 1.6 * LIVE_SPEED;
const FLEE2 = LIVE_FLEE_RANGE * LIVE_FLEE_RANGE;

/** Removes food item `k`; a nectar finished by a fish makes its plant sprout. */
export function removeFood(world: World, k: number, eatenByFish: boolean): void {
  const food = world.food;
  const plant = food.plant[k];
  removeFoodAt(food, k);
  if (plant >= 0) nectarGone(world, plant, eatenByFish);
}

/** Drops a flake of a random type at `x` on the surface; returns its index or -1 if full. */
export function dropFlake(world: World, x: number): number {
  const r = random(world.rng);
  let type = 0;
  let acc = FLAKE_WEIGHTS[0];
  while (type < FLAKE_WEIGHTS.length - 1 && r >= acc) acc += FLAKE_WEIGHTS[++type];
  const k = addFoodSlot(world.food, world.nextId, type as FoodType, x, 0);
  if (k >= 0) world.nextId++;
  return k;
}

/** Releases a live food item at a random place in the water. */
function releaseLive(world: World): void {
  const { rng, width, height } = world;
  const x = uniform(rng, 20, width - 20);
  const y = uniform(rng, TOP_MARGIN + 40, height - 60);
  const k = addFoodSlot(world.food, world.nextId, FoodType.live, x, y);
  if (k < 0) return;
  world.nextId++;
  world.food.life[k] = LIVE_LIFETIME;
}

/** Moves every food item one frame and drops what sank out or died. */
export function updateFood(world: World): void {
  const { food, height } = world;
  const { y, vy, type } = food;
  const bottom = height - 5;
  let k = 0;
  while (k < food.count) {
    const t = type[k];
    if (t === FoodType.live) {
      if (--food.life[k] <= 0) {
        removeFood(world, k, false);
        continue;
      }
      moveLive(world, k);
    } else if (t !== FoodType.nectar) {
      vy[k] += SINK * FLAKE_SINK[t];
      y[k] += vy[k];
      if (y[k] >= bottom) {
        removeFood(world, k, false);
        continue;
      }
    }
    k++;
  }
}

function moveLive(world: World, k: number): void {
  const { food, fish, rng, width, height } = world;
  const px = food.x[k];
  const py = food.y[k];
  let best = FLEE2;
  let fx = 0;
  let fy = 0;
  for (let i = 0; i < fish.count; i++) {
    const dx = px - fish.x[i];
    const dy = py - fish.y[i];
    const d2 = dx * dx + dy * dy;
    if (d2 < best) {
      best = d2;
      fx = dx;
      fy = dy;
    }
  }
  if (best < FLEE2 && best > 0) {
    const inv = LIVE_FLEE_SPEED / Math.sqrt(best);
    food.vx[k] = fx * inv;
    food.vy[k] = fy * inv;
  } else if (--food.timer[k] <= 0) {
    const angle = random(rng) * 2 * Math.PI;
    food.vx[k] = Math.cos(angle) * LIVE_SPEED;
    food.vy[k] = Math.sin(angle) * LIVE_SPEED;
    food.timer[k] = 20 + randomInt(rng, 26);
  }
  let nx = px + food.vx[k];
  let ny = py + food.vy[k];
  if (nx < 10 || nx > width - 10) {
    food.vx[k] = -food.vx[k];
    nx = nx < 10 ? 10 : width - 10;
  }
  if (ny < TOP_MARGIN + 10 || ny > height - 30) {
    food.vy[k] = -food.vy[k];
    ny = ny < TOP_MARGIN + 10 ? TOP_MARGIN + 10 : height - 30;
  }
  food.x[k] = nx;
  food.y[k] = ny;
}

/**
 * Frames between automatic drops (C.6). The original's thresholds assume a 100-fish tank; tanks
 * with a higher cap compare per-100-fish figures and drop proportionally more per interval.
 */
function dropInterval(world: World): number {
  const scale = dropScale(world);
  const energy = world.fishEnergy / scale;
  const n = world.fish.count / scale;
  if (energy < 1500) return 22;
  if (energy < 3500) return 30;
  if (energy > 6500 || n > 20) return 270;
  if (energy > 4500 || n > 15) return 150;
  return 90;
}

function dropScale(world: World): number {
  return world.maxFish > 100 ? world.maxFish / 100 : 1;
}

/** Drops one item when the interval has passed: live food or a flake, by the time of day. */
export function autoSpawnFood(world: World): void {
  const interval = dropInterval(world);
  if (++world.foodTimer < interval) return;
  world.foodTimer = 0;
  const drops = Math.round(dropScale(world));
  for (let n = 0; n < drops; n++) {
    if (random(world.rng) < world.day.liveShare) releaseLive(world);
    else dropFlake(world, uniform(world.rng, 20, world.width - 20));
  }
}
