/**
 * @module
 * The world's seeded random source: pure-rand's xoroshiro128+, advanced in place, whose four-word
 * state is saved in snapshots so a restored world draws the same numbers.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

export type Rng = ReturnType<typeof xoroshiro128plus>;

const INV_2_32 = 1 / 4294967296;

/** A generator for a seed (any safe non-negative integer; the high bits are folded in). */
export function createRng(seed: number): Rng {
  return xoroshiro128plus((seed ^ Math.floor(seed / 4294967296)) | 0);
}

/** A generator continuing from a state returned by {@link rngState}. */
export function rngFromState(state: readonly number[]): Rng {
  return xoroshiro128plusFromState(state);
}

export function rngState(rng: Rng): number[] {
  return [...rng.getState()];
}

/** Uniform in [0, 1). */
export function random(rng: Rng): number {
  return (rng.next() >>> 0) * INV_2_32;
}

/** Uniform in [min, max). */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * random(rng);
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(random(rng) * n);
}

/** Standard normal deviate (Box–Muller); only used at births, so its cost does not matter. */
export function normal(rng: Rng): number {
  const u = 1 - random(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random(rng));
}
