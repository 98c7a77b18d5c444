/**
 * @module
 * Body size by age (C.4): babies grow from half to full size over their first 300 frames, in
 * steps of GROWTH_STEP frames; the size-dependent cost factors are cached with it, so the hot
 * loop calls Math.pow only on those steps.
 */
import { BABY_END } from './constants.ts';
import type { FishStore } from './fish-store.ts';
import { GENE } from './genome.ts';

/** Babies grow in steps of this many frames; a pure function of age, so restores match. */
export const GROWTH_STEP = 10;

/** Sets size, moveCost (size^1.2) and turnCost (size^1.5) of fish `i` for its age. */
export function growFish(f: FishStore, i: number): void {
  const age = f.age[i];
  const stepped = age - (age % GROWTH_STEP);
  const growth = stepped >= BABY_END ? 1 : 0.5 + (0.5 * stepped) / BABY_END;
  const size = f.genes[GENE.size][i] * growth;
  f.size[i] = size;
  f.moveCost[i] = size ** 1.2;
  f.turnCost[i] = size ** 1.5;
}
