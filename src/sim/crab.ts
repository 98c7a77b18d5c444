/**
 * @module
 * The crab (C.11): one predator that walks the bottom, eats any food it touches, and, when
 * hungry and rested, walks toward fish; the kill itself happens in the fish update on contact.
 * Its state is in `crab-state.ts`.
 */
import { CRAB_FOOD_RANGE, CRAB_HALF, CRAB_HUNT_RANGE } from './constants.ts';
import { removeFood } from './food.ts';
import { random } from './rng.ts';
import type { World } from './world.ts';

/** Steers, moves and feeds the crab for one frame. */
export function updateCrab(world: World): void {
  const crab = world.crab;
  const { food, fish } = world;
  if (crab.huntCooldown > 0) crab.huntCooldown--;
  let target = Number.NaN;
  let best = CRAB_FOOD_RANGE * CRAB_FOOD_RANGE;
  for (let k = 0; k < food.count; k++) {
    const dx = food.x[k] - crab.x;
    const dy = food.y[k] - crab.y;
    const d2 = dx * dx + dy * dy;
    if (d2 < best) {
      best = d2;
      target = food.x[k];
    }
  }
  if (Number.isNaN(target) && crab.huntCooldown === 0 && crab.energy < 0.7 * crab.maxEnergy) {
    best = CRAB_HUNT_RANGE * CRAB_HUNT_RANGE;
    for (let i = 0; i < fish.count; i++) {
      const dx = fish.x[i] - crab.x;
      const dy = fish.y[i] - crab.y;
      const d2 = dx * dx + dy * dy;
      if (d2 < best) {
        best = d2;
        target = fish.x[i];
      }
    }
  }
  if (!Number.isNaN(target)) {
    const dx = target - crab.x;
    crab.vx = Math.abs(dx) < crab.speed ? dx : dx > 0 ? crab.speed : -crab.speed;
  } else if (crab.vx === 0 || random(world.rng) < 0.005) {
    // Patrols: keeps walking, turning now and then, so it sweeps the whole bottom.
    crab.vx = random(world.rng) < 0.5 ? -crab.speed : crab.speed;
  }
  crab.x += crab.vx;
  if (crab.x < CRAB_HALF || crab.x > world.width - CRAB_HALF) {
    crab.x = crab.x < CRAB_HALF ? CRAB_HALF : world.width - CRAB_HALF;
    crab.vx = -crab.vx;
  }
  let k = 0;
  while (k < food.count) {
    if (Math.abs(food.x[k] - crab.x) < CRAB_HALF && Math.abs(food.y[k] - crab.y) < CRAB_HALF) {
      crab.energy = Math.min(crab.maxEnergy, crab.energy + food.energy[k]);
      removeFood(world, k, false);
    } else {
      k++;
    }
  }
  // It never dies (as in the original), so its energy only floors at zero.
  crab.energy = Math.max(0, crab.energy - 0.01 * crab.metabolism);
}
