/**
 * @module
 * Fractal plants on root spots along the bottom (C.10): they gain energy with daylight, grow with
 * it, turn part of it into nectar, and sprout a new plant nearby when a fish finishes a nectar.
 */
import {
  NECTAR_COOLDOWN,
  NECTAR_COST,
  NECTAR_FIRST_COOLDOWN,
  PLANT_BASE_ENERGY,
  PLANT_HEIGHT,
  PLANT_SPROUT_ENERGY,
  ROOT_SPOTS,
  SPROUT_PREFERRED_GAP,
  SPROUT_RANGE,
} from './constants.ts';
import { addFoodSlot, FoodType } from './food-store.ts';
import { clamp } from './math.ts';
import type { PlantStore } from './plant-store.ts';
import { normal, type Rng, random, randomInt, uniform } from './rng.ts';
import type { World } from './world.ts';

/** Plant genome: ranges for validation of snapshots and for mutation clamps. */
export const PLANT_GENE_RANGES = {
  growth: { min: 0.6, max: 1.4 },
  rate: { min: 0.01, max: 0.04 },
  threshold: { min: 0.6, max: 0.9 },
  hue: { min: 0.2, max: 0.45 },
} as const;

/** Root spots are spread evenly along the bottom, slightly staggered in depth. */
export function spotX(width: number, spot: number): number {
  return 20 + (spot * (width - 40)) / (ROOT_SPOTS - 1);
}

export function spotY(height: number, spot: number): number {
  return height - 15 + ((spot % 3) - 1) * 6;
}

export interface PlantGenes {
  growth: number;
  rate: number;
  threshold: number;
  hue: number;
}

export function randomPlantGenes(rng: Rng): PlantGenes {
  const r = PLANT_GENE_RANGES;
  return {
    growth: uniform(rng, r.growth.min, r.growth.max),
    rate: uniform(rng, r.rate.min, r.rate.max),
    threshold: 0.75,
    hue: uniform(rng, r.hue.min, r.hue.max),
  };
}

/** Puts a plant on a free root spot and returns its index. */
export function addPlant(world: World, spot: number, genes: PlantGenes, energy: number): number {
  const p = world.plants;
  const i = p.count++;
  p.id[i] = world.nextId++;
  p.spot[i] = spot;
  p.x[i] = spotX(world.width, spot);
  p.y[i] = spotY(world.height, spot);
  p.maxEnergy[i] = PLANT_BASE_ENERGY * genes.growth;
  p.energy[i] = Math.min(energy, p.maxEnergy[i]);
  p.rate[i] = genes.rate;
  p.threshold[i] = genes.threshold;
  p.hue[i] = genes.hue;
  p.size[i] = 0.3 + (0.7 * p.energy[i]) / p.maxEnergy[i];
  p.age[i] = 0;
  p.nectarCooldown[i] = NECTAR_FIRST_COOLDOWN;
  p.nectarReady[i] = 0;
  p.spotPlant[spot] = i;
  return i;
}

/** Random free spot, or -1. */
export function freeSpot(world: World): number {
  const free: number[] = [];
  for (let s = 0; s < ROOT_SPOTS; s++) if (world.plants.spotPlant[s] < 0) free.push(s);
  return free.length === 0 ? -1 : free[randomInt(world.rng, free.length)];
}

/** Grows every plant one frame and hangs out nectar where it is ready. */
export function updatePlants(world: World): void {
  const p = world.plants;
  const activity = world.day.activity;
  for (let i = 0; i < p.count; i++) {
    p.age[i]++;
    const spot = p.spot[i];
    const crowd =
      (spot > 0 && p.spotPlant[spot - 1] >= 0 ? 1 : 0) +
      (spot < ROOT_SPOTS - 1 && p.spotPlant[spot + 1] >= 0 ? 1 : 0);
    const max = p.maxEnergy[i];
    let e = p.energy[i];
    e += p.rate[i] * (1 + 0.5 * Math.sqrt(e / max)) * activity * (crowd === 0 ? 1 : crowd === 1 ? 0.75 : 0.5);
    if (e > max) e = max;
    if (p.nectarCooldown[i] > 0) {
      p.nectarCooldown[i]--;
    } else if (p.nectarReady[i] === 0 && e >= p.threshold[i] * max) {
      const size = 0.3 + (0.7 * e) / max;
      const k = addFoodSlot(world.food, world.nextId, FoodType.nectar, p.x[i], p.y[i] - PLANT_HEIGHT * size);
      if (k >= 0) {
        world.nextId++;
        world.food.plant[k] = i;
        p.nectarReady[i] = 1;
        p.nectarCooldown[i] = NECTAR_COOLDOWN;
        e -= NECTAR_COST;
      }
    }
    p.energy[i] = e;
    p.size[i] = 0.3 + (0.7 * e) / max;
  }
}

/** Called when plant `i`'s nectar is removed; a fish finishing it makes the plant sprout. */
export function nectarGone(world: World, i: number, eatenByFish: boolean): void {
  world.plants.nectarReady[i] = 0;
  if (eatenByFish) sprout(world, i);
}

/** A new plant on a free spot within 200 px, preferring spots at least 50 px away. */
function sprout(world: World, parent: number): void {
  const p = world.plants;
  const px = p.x[parent];
  let preferred = 0;
  let any = 0;
  let pick = -1;
  // Two passes over 25 spots: count the candidates, then draw one, so nothing is allocated.
  for (let s = 0; s < ROOT_SPOTS; s++) {
    if (p.spotPlant[s] >= 0) continue;
    const d = Math.abs(spotX(world.width, s) - px);
    if (d > SPROUT_RANGE) continue;
    any++;
    if (d >= SPROUT_PREFERRED_GAP) preferred++;
  }
  if (any === 0) return;
  const wantGap = preferred > 0;
  let n = randomInt(world.rng, wantGap ? preferred : any);
  for (let s = 0; s < ROOT_SPOTS && pick < 0; s++) {
    if (p.spotPlant[s] >= 0) continue;
    const d = Math.abs(spotX(world.width, s) - px);
    if (d > SPROUT_RANGE || (wantGap && d < SPROUT_PREFERRED_GAP)) continue;
    if (n-- === 0) pick = s;
  }
  addPlant(world, pick, mutatePlant(world.rng, p, parent), PLANT_SPROUT_ENERGY);
}

function mutatePlant(rng: Rng, p: PlantStore, i: number): PlantGenes {
  const r = PLANT_GENE_RANGES;
  const m = (v: number, range: { min: number; max: number }) => {
    const next = random(rng) < 0.15 ? v + normal(rng) * 0.15 * (range.max - range.min) : v;
    return clamp(next, range.min, range.max);
  };
  return {
    growth: m(p.maxEnergy[i] / PLANT_BASE_ENERGY, r.growth),
    rate: m(p.rate[i], r.rate),
    threshold: m(p.threshold[i], r.threshold),
    hue: m(p.hue[i], r.hue),
  };
}
