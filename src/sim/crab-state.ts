/**
 * @module
 * The crab's state and how a new one is rolled. It lives apart from the crab's behaviour
 * (`crab.ts`) so that the world, which holds a crab, depends on no step that moves one.
 */
import { CRAB_BASE_SPEED, CRAB_ENERGY_BASE } from './constants.ts';
import { type Rng, uniform } from './rng.ts';

export interface Crab {
  readonly id: number;
  x: number;
  y: number;
  vx: number;
  energy: number;
  maxEnergy: number;
  speed: number;
  metabolism: number;
  /** Frames until it can kill again. */
  huntCooldown: number;
}

export function createCrab(rng: Rng, id: number, x: number, y: number): Crab {
  const speedGene = uniform(rng, 0.7, 1.3);
  const energyGene = uniform(rng, 0.7, 1.5);
  return {
    id,
    x,
    y,
    vx: CRAB_BASE_SPEED * speedGene,
    energy: CRAB_ENERGY_BASE * energyGene,
    maxEnergy: CRAB_ENERGY_BASE * energyGene,
    speed: CRAB_BASE_SPEED * speedGene,
    metabolism: uniform(rng, 0.7, 1.3),
    huntCooldown: 0,
  };
}
