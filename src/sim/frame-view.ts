/**
 * @module
 * The world's frame view for the binary wire codec, made once per world and refreshed on each
 * call; its fields and their meaning are in `frame-view-fields.ts`.
 */
import type { FrameView } from './frame-view-fields.ts';
import { GENE } from './genome.ts';
import type { World } from './world.ts';

/**
 * The world's current frame as typed arrays plus counts (see the table in `frame-view-fields.ts`).
 * The same object is returned on every call for a world (its counts refreshed), so a codec
 * calling it every tick allocates nothing.
 *
 * @example
 * ```ts
 * const v = frameView(world);
 * for (let i = 0; i < v.fishCount; i++) out.setFloat32(o, v.fishX[i]);
 * ```
 */
export function frameView(world: World): FrameView {
  world.view ??= createView(world);
  const view = world.view;
  view.frame = world.frame;
  view.dayPhase = world.day.phase;
  view.fishCount = world.fish.count;
  view.foodCount = world.food.count;
  view.plantCount = world.plants.count;
  view.crabX = world.crab.x;
  view.crabY = world.crab.y;
  return view;
}

function createView(world: World): FrameView {
  const { fish: f, food, plants: p, crab } = world;
  const g = f.genes;
  return {
    frame: world.frame,
    dayPhase: world.day.phase,
    fishCount: f.count,
    fishId: f.id,
    fishX: f.x,
    fishY: f.y,
    fishVx: f.vx,
    fishVy: f.vy,
    fishSize: f.size,
    fishHue: g[GENE.hue],
    fishPattern: g[GENE.patternType],
    fishEnergy: f.energy,
    fishMaxEnergy: f.maxEnergy,
    fishPokerEffect: f.pokerEffect,
    fishPokerEffectFrames: f.pokerEffectFrames,
    fishPokerEffectAmount: f.pokerEffectAmount,
    foodCount: food.count,
    foodId: food.id,
    foodX: food.x,
    foodY: food.y,
    foodType: food.type,
    foodEnergy: food.energy,
    foodMaxEnergy: food.maxEnergy,
    plantCount: p.count,
    plantId: p.id,
    plantX: p.x,
    plantY: p.y,
    plantSize: p.size,
    plantNectarReady: p.nectarReady,
    crabId: crab.id,
    crabX: crab.x,
    crabY: crab.y,
  };
}
