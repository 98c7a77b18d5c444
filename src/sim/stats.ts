/**
 * @module
 * Per-tank statistics for the dashboard: populations, births and deaths, poker totals, energy
 * totals and genome averages. Computed on demand (a pass over the fish), never in the tick.
 */
import type { TimeOfDay } from './day.ts';
import type { BirthMode, DeathCause } from './events.ts';
import { GENE_COUNT, GENE_KEYS, type Genome } from './genome.ts';
import type { World } from './world.ts';

export interface WorldStats {
  frame: number;
  timeOfDay: TimeOfDay;
  /** 0 (midnight) to 1; noon is 0.5. */
  dayPhase: number;
  fishCount: number;
  maxFish: number;
  foodCount: number;
  plantCount: number;
  births: Record<BirthMode, number>;
  deaths: Record<DeathCause, number>;
  transfersIn: number;
  transfersOut: number;
  poker: { hands: number; ties: number; energyMoved: number; houseCut: number };
  energy: { total: number; fish: number; plants: number; food: number; crab: number };
  maxGeneration: number;
  /** Mean of each gene over the living fish; `null` when the tank is empty. */
  genomeAverages: Genome | null;
}

/**
 * @example
 * ```ts
 * const { fishCount, deaths, poker } = worldStats(world);
 * ```
 */
export function worldStats(world: World): WorldStats {
  const { fish: f, food, plants: p, counters: c } = world;
  let fishEnergy = 0;
  const sums = new Float64Array(GENE_COUNT);
  for (let i = 0; i < f.count; i++) {
    fishEnergy += f.energy[i];
    for (let k = 0; k < GENE_COUNT; k++) sums[k] += f.genes[k][i];
  }
  let plantEnergy = 0;
  for (let i = 0; i < p.count; i++) plantEnergy += p.energy[i];
  let foodEnergy = 0;
  for (let k = 0; k < food.count; k++) foodEnergy += food.energy[k];
  let genomeAverages: Genome | null = null;
  if (f.count > 0) {
    genomeAverages = {} as Genome;
    for (let k = 0; k < GENE_COUNT; k++) genomeAverages[GENE_KEYS[k]] = sums[k] / f.count;
  }
  return {
    frame: world.frame,
    timeOfDay: world.day.label,
    dayPhase: world.day.phase,
    fishCount: f.count,
    maxFish: world.maxFish,
    foodCount: food.count,
    plantCount: p.count,
    births: { ...c.births },
    deaths: { ...c.deaths },
    transfersIn: c.transfersIn,
    transfersOut: c.transfersOut,
    poker: { hands: c.pokerHands, ties: c.pokerTies, energyMoved: c.pokerEnergyMoved, houseCut: c.houseCut },
    energy: {
      total: fishEnergy + plantEnergy + foodEnergy + world.crab.energy,
      fish: fishEnergy,
      plants: plantEnergy,
      food: foodEnergy,
      crab: world.crab.energy,
    },
    maxGeneration: c.maxGeneration,
    genomeAverages,
  };
}
