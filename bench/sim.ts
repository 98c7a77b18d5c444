/**
 * @module
 * Simulation speed on one core: fish-updates per second for many tanks of 25, 50 and 200 fish
 * stepped round-robin (as a tank server does), and ticks per second for one ~25-fish tank,
 * compared with the original Python Tank World. Run: `node bench/sim.ts` (or `npm run bench sim`).
 */

import { createWorld, spawnFish, step, type World } from '../src/sim/index.ts';
import { type Row, recordBenchmark } from './support/index.ts';

/** Measured seconds per scenario (override with SIM_BENCH_SECONDS). */
const SECONDS = Number(process.env.SIM_BENCH_SECONDS ?? 4);
const WARMUP_TICKS = 300;
const CHUNK_TICKS = 30;
const TARGET = 1_500_000;
/** The original runs one ~25-fish tank at 309–379 ticks/s on this machine: ~8,000 fish-updates/s. */
const PYTHON_FISH_UPDATES = 8_000;
const PYTHON_TICKS = [309, 379] as const;

/** Brings a tank back to `size` fish, outside the timed region, so every chunk runs full tanks. */
function topUp(world: World, size: number): void {
  while (world.fish.count < size) spawnFish(world);
}

function makeTanks(count: number, size: number): World[] {
  const tanks: World[] = [];
  for (let n = 0; n < count; n++) {
    const world = createWorld({
      seed: 1000 * size + n,
      uidPrefix: `b${n}`,
      maxFish: size,
      initialFish: size,
    });
    for (let t = 0; t < WARMUP_TICKS; t++) step(world);
    topUp(world, size);
    tanks.push(world);
  }
  return tanks;
}

interface Measure {
  seconds: number;
  /** CPU seconds this process used meanwhile (all its threads): shows when other work shared the core. */
  cpuSeconds: number;
  ticks: number;
  fishUpdates: number;
}

/** Steps every tank once per tick, round-robin, in timed chunks until SECONDS have been measured. */
function measure(tanks: World[], size: number): Measure {
  let seconds = 0;
  let cpuSeconds = 0;
  let ticks = 0;
  let fishUpdates = 0;
  while (seconds < SECONDS) {
    let updates = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let t = 0; t < CHUNK_TICKS; t++) {
      for (const world of tanks) {
        updates += world.fish.count;
        step(world);
      }
    }
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    cpuSeconds += (used.user + used.system) / 1e6;
    ticks += CHUNK_TICKS;
    fishUpdates += updates;
    for (const world of tanks) topUp(world, size);
  }
  return { seconds, cpuSeconds, ticks, fishUpdates };
}

function scenario(tankCount: number, size: number): Row {
  const tanks = makeTanks(tankCount, size);
  const m = measure(tanks, size);
  const rate = m.fishUpdates / m.seconds;
  const tankTicks = (m.ticks * tankCount) / m.seconds;
  return {
    scenario: `${tankCount} tanks × ${size} fish, round-robin`,
    'fish/tank': m.fishUpdates / (m.ticks * tankCount),
    'fish-updates/s': rate,
    'per CPU-second': m.fishUpdates / m.cpuSeconds,
    'tank-ticks/s': tankTicks,
    'tanks at 30 Hz': tankTicks / 30,
    'vs Python': `${Math.round(rate / PYTHON_FISH_UPDATES)}×`,
  };
}

function singleTank(size: number): Row {
  const [world] = makeTanks(1, size);
  const m = measure([world], size);
  const ticksPerSecond = m.ticks / m.seconds;
  return {
    scenario: `1 tank × ${size} fish`,
    'fish/tank': m.fishUpdates / m.ticks,
    'fish-updates/s': m.fishUpdates / m.seconds,
    'per CPU-second': m.fishUpdates / m.cpuSeconds,
    'tank-ticks/s': ticksPerSecond,
    'tanks at 30 Hz': ticksPerSecond / 30,
    'vs Python': `${Math.round(ticksPerSecond / PYTHON_TICKS[1])}–${Math.round(ticksPerSecond / PYTHON_TICKS[0])}× (ticks/s)`,
  };
}

const rows = [scenario(1000, 25), scenario(1000, 50), scenario(250, 200), singleTank(25)];
const headline = rows[1]['fish-updates/s'] as number;
recordBenchmark({
  name: 'sim',
  rows,
  notes: [
    `One core, full rules (steering, eating, crab, poker and mating among grid neighbours, births, deaths, ` +
      `food, plants). ${WARMUP_TICKS} warm-up ticks per tank; tanks topped back up to size between ` +
      `${CHUNK_TICKS}-tick chunks, outside the timed region; ${SECONDS} s measured per row. ` +
      `"fish-updates/s" is wall-clock; "per CPU-second" divides by the CPU time the process used ` +
      `(all its threads), so it is lower when GC helpers run beside the main thread and wall-clock is ` +
      `lower when other processes share the core.`,
    `Target ≥ ${TARGET.toLocaleString('en-US')} fish-updates/s (1000 tanks × 50 fish × 30 Hz): ` +
      `${headline >= TARGET ? 'met' : 'NOT met'} at ${Math.round(headline).toLocaleString('en-US')}.`,
    `Original Python Tank World: ${PYTHON_TICKS[0]}–${PYTHON_TICKS[1]} ticks/s for one ~25-fish tank ` +
      `(~${PYTHON_FISH_UPDATES.toLocaleString('en-US')} fish-updates/s) on this machine.`,
  ],
});
