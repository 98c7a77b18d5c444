/**
 * @module
 * The per-fish update, the hot loop of the simulation: ageing, steering (food, crab, neighbours,
 * wandering), eating, energy costs (C.5), births, and death. Arrays are pulled into locals and
 * nothing is allocated unless a fish is born or dies.
 */
import {
  ADULT_END,
  BABY_END,
  BASE_SPEED,
  BITE,
  BUD_MIN_RATIO,
  COST_EXISTENCE,
  COST_METABOLISM,
  COST_MOVEMENT,
  COST_TURN,
  CRAB_FLEE_RANGE,
  CRAB_HUNT_COOLDOWN,
  CRAB_KILL_RANGE,
  CRAB_MEAL,
  CRAB_SCARE_FRAMES,
  DETECTION_RANGE,
  EAT_RANGE,
  FISH_HALF,
  SATED,
  STEER,
  TOP_MARGIN,
} from './constants.ts';
import { DeathCause as Cause, type DeathCause } from './events.ts';
import { removeFishAt } from './fish-store.ts';
import { removeFood } from './food.ts';
import { GENE } from './genome.ts';
import { GROWTH_STEP, growFish } from './growth.ts';
import { recordDeath } from './obituaries.ts';
import { deliver, maybeBud } from './reproduction.ts';
import { random, randomInt } from './rng.ts';
import type { World } from './world.ts';

const EAT2 = EAT_RANGE * EAT_RANGE;
const FLEE2 = CRAB_FLEE_RANGE * CRAB_FLEE_RANGE;

/** Updates every fish one frame; returns nothing, sets `world.fishEnergy`. */
export function updateFish(world: World): void {
  const f = world.fish;
  const food = world.food;
  const crab = world.crab;
  const { x, y, vx, vy, energy, maxEnergy, age, maxAge, size, pushX, pushY, flockX, flockY } = f;
  const { mateCooldown, pokerCooldown, pokerEffect, pokerEffectFrames, crabScare, pregnancy } = f;
  const { wanderX, wanderY, wanderTimer, moveCost, turnCost } = f;
  const gSpeed = f.genes[GENE.speed];
  const gVision = f.genes[GENE.vision];
  const gMetabolism = f.genes[GENE.metabolism];
  const gSocial = f.genes[GENE.social];
  const foodX = food.x;
  const foodY = food.y;
  const rng = world.rng;
  const activity = world.day.activity;
  const detection = DETECTION_RANGE * world.day.detection;
  const minX = FISH_HALF;
  const maxX = world.width - FISH_HALF;
  const minY = TOP_MARGIN + FISH_HALF;
  const maxY = world.height - FISH_HALF;
  let totalEnergy = 0;

  let i = 0;
  while (i < f.count) {
    const a = ++age[i];
    if (a <= BABY_END && a % GROWTH_STEP === 0) growFish(f, i);
    if (mateCooldown[i] > 0) mateCooldown[i]--;
    if (pokerCooldown[i] > 0) pokerCooldown[i]--;
    if (pokerEffectFrames[i] > 0 && --pokerEffectFrames[i] === 0) pokerEffect[i] = 0;
    if (crabScare[i] > 0) crabScare[i]--;

    const px = x[i];
    const py = y[i];
    const emax = maxEnergy[i];
    let e = energy[i];
    const speed = BASE_SPEED * gSpeed[i];
    let dx = 0;
    let dy = 0;
    let eating = false;

    // Food: head for the nearest item in sight; bite it when close enough.
    if (e < SATED * emax && food.count > 0) {
      const range = detection * gVision[i];
      let best = range * range;
      let target = -1;
      for (let k = 0; k < food.count; k++) {
        const fx = foodX[k] - px;
        const fy = foodY[k] - py;
        const d2 = fx * fx + fy * fy;
        if (d2 < best) {
          best = d2;
          target = k;
        }
      }
      if (target >= 0) {
        if (best < EAT2) {
          bite(world, i, target);
          e = energy[i];
          eating = true;
        } else {
          const w = (1 + 2 * (1 - e / emax)) / Math.sqrt(best);
          dx += (foodX[target] - px) * w;
          dy += (foodY[target] - py) * w;
        }
      }
    }

    // The crab: flee when near; touching it while it can hunt is death.
    const cx = px - crab.x;
    const cy = py - crab.y;
    const c2 = cx * cx + cy * cy;
    if (c2 < FLEE2) {
      if (Math.abs(cx) < CRAB_KILL_RANGE && Math.abs(cy) < CRAB_KILL_RANGE) {
        crabScare[i] = CRAB_SCARE_FRAMES;
        if (crab.huntCooldown === 0) {
          crab.energy = Math.min(crab.maxEnergy, crab.energy + CRAB_MEAL);
          crab.huntCooldown = CRAB_HUNT_COOLDOWN;
          die(world, i, Cause.predation);
          continue;
        }
      }
      const w = (3 * (1 - c2 / FLEE2)) / Math.sqrt(c2 + 1);
      dx += cx * w;
      dy += cy * w;
    }

    // Neighbours (summed by the pair pass): keep apart, and school by temperament.
    dx += 2 * pushX[i] + (0.15 * gSocial[i] * flockX[i]) / speed;
    dy += 2 * pushY[i] + (0.15 * gSocial[i] * flockY[i]) / speed;

    if (--wanderTimer[i] <= 0) {
      const angle = random(rng) * 2 * Math.PI;
      wanderX[i] = Math.cos(angle);
      wanderY[i] = Math.sin(angle);
      wanderTimer[i] = 30 + randomInt(rng, 60);
    }
    dx += 0.5 * wanderX[i];
    dy += 0.5 * wanderY[i];

    // Steer toward the desired heading; a weak wish (wandering alone) means a slower cruise.
    const pvx = vx[i];
    const pvy = vy[i];
    let tx = 0;
    let ty = 0;
    if (!eating) {
      const len = Math.sqrt(dx * dx + dy * dy);
      if (len > 1e-9) {
        const k = (speed * Math.min(len, 1)) / len;
        tx = dx * k;
        ty = dy * k;
      }
    }
    let nvx = pvx + (tx - pvx) * STEER;
    let nvy = pvy + (ty - pvy) * STEER;
    let nx = px + nvx;
    let ny = py + nvy;
    if (nx < minX || nx > maxX) {
      nx = nx < minX ? minX : maxX;
      nvx = -nvx;
    }
    if (ny < minY || ny > maxY) {
      ny = ny < minY ? minY : maxY;
      nvy = -nvy;
    }
    x[i] = nx;
    y[i] = ny;
    vx[i] = nvx;
    vy[i] = nvy;

    // Energy (C.5): existence, metabolism plus movement (scaled by life stage), turning.
    const s = size[i];
    const v = Math.sqrt(nvx * nvx + nvy * nvy);
    const stage = a < BABY_END ? 0.7 : a >= ADULT_END ? 1.2 : 1;
    let cost =
      COST_EXISTENCE * activity * s +
      (COST_METABOLISM * gMetabolism[i] * activity + (COST_MOVEMENT * v * moveCost[i]) / speed) * stage;
    const pv = pvx * pvx + pvy * pvy;
    if (pv > 0.01 && v > 0.1) {
      const turn = 1 - (pvx * nvx + pvy * nvy) / (Math.sqrt(pv) * v);
      if (turn > 0.1) cost += COST_TURN * turn * turnCost[i];
    }
    e -= cost;
    energy[i] = e;

    if (pregnancy[i] > 0 && --pregnancy[i] === 0) deliver(world, i);
    if (e >= BUD_MIN_RATIO * emax) maybeBud(world, i);

    if (energy[i] <= 0) {
      die(world, i, crabScare[i] > 0 ? Cause.predation : Cause.starvation);
      continue;
    }
    if (a >= maxAge[i]) {
      die(world, i, Cause.oldAge);
      continue;
    }
    totalEnergy += energy[i];
    i++;
  }
  world.fishEnergy = totalEnergy;
}

/**
 * Fish `i` bites food `k`, up to its room for energy. A finished item is removed. It takes and
 * returns only integers: float arguments and results of a call that is not inlined get boxed.
 */
function bite(world: World, i: number, k: number): void {
  const f = world.fish;
  const food = world.food;
  const left = food.energy[k];
  const gain = Math.min(BITE * f.size[i], left, f.maxEnergy[i] - f.energy[i]);
  f.energy[i] += gain;
  food.energy[k] = left - gain;
  f.bites[i]++;
  if (food.energy[k] <= 0.1) removeFood(world, k, true);
}

function die(world: World, i: number, cause: DeathCause): void {
  const f = world.fish;
  world.counters.deaths[cause]++;
  recordDeath(world.obituaries, f.uid[i], cause, world.frame);
  world.events.deaths.push({
    id: f.id[i],
    uid: f.uid[i],
    cause,
    generation: f.generation[i],
    age: f.age[i],
    x: f.x[i],
    y: f.y[i],
  });
  removeFishAt(f, i);
}
