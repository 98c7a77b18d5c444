/**
 * @module
 * The tick: advances a world by one frame, calling each part's update in a fixed order.
 */
import { updateCrab } from './crab.ts';
import { updateDay } from './day.ts';
import type { StepEvents } from './events.ts';
import { updateFish } from './fish.ts';
import { autoSpawnFood, updateFood } from './food.ts';
import { interact } from './interactions.ts';
import { decideDepartures } from './mouths.ts';
import { updatePlants } from './plants.ts';
import type { World } from './world.ts';

/**
 * Advances the world by one frame (1/30 s) and returns what happened in it. The returned object
 * is reused by the next call.
 *
 * Order: clock; crab; neighbour pass (separation, schooling, poker, mating); fish (steer, eat,
 * pay, give birth, die); tube mouths (who decides to go); food; plants; automatic food.
 */
export function step(world: World): StepEvents {
  const events = world.events;
  events.births.length = 0;
  events.deaths.length = 0;
  events.pokerHands.length = 0;
  events.departures.length = 0;
  world.frame++;
  events.frame = world.frame;
  updateDay(world.day, world.frame);
  updateCrab(world);
  interact(world);
  updateFish(world);
  decideDepartures(world);
  updateFood(world);
  updatePlants(world);
  autoSpawnFood(world);
  return events;
}
