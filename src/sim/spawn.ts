/**
 * @module
 * Generation-0 fish with a random genome (optionally partly given), as the start state and
 * `spawnFish` create them: half their energy, no parents.
 */
import { type Genome, randomGenes, writeGenome } from './genome.ts';
import { claimFish, initFish } from './reproduction.ts';
import type { World } from './world.ts';

/** Adds a fish; the caller has checked there is room. Returns its index. */
export function placeRandomFish(world: World, x: number, y: number, genome: Partial<Genome>): number {
  const i = claimFish(world);
  const f = world.fish;
  randomGenes(world.rng, f.genes, i);
  writeGenome(genome, f.genes, i);
  initFish(world, i, x, y, 0, 0);
  f.energy[i] = 0.5 * f.maxEnergy[i];
  return i;
}
