/**
 * @module
 * The population survey behind population.test.ts: many seeds from the default start, each run
 * for a fixed number of ticks. It runs in a worker thread under Node's own module loader: under
 * vitest's module runner every imported binding becomes a getter call, which halves the speed of
 * the simulation's hot loop, and this survey is the one test where that costs real seconds.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createWorld, step } from '../../src/sim/index.ts';

export interface SurveyResult {
  /** Fish count at the end of each seed's run (0 = extinct). */
  finals: number[];
  /** Lowest and highest count each seed reached. */
  lows: number[];
  highs: number[];
  /** Ticks on which some tank held more fish than its cap. */
  overCap: number;
  maxFish: number;
}

export function survey({ seeds, ticks }: { seeds: number; ticks: number }): SurveyResult {
  const result: SurveyResult = { finals: [], lows: [], highs: [], overCap: 0, maxFish: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const world = createWorld({ seed, uidPrefix: `s${seed}` });
    result.maxFish = world.maxFish;
    let low = world.fish.count;
    let high = world.fish.count;
    for (let t = 0; t < ticks && world.fish.count > 0; t++) {
      step(world);
      const n = world.fish.count;
      if (n > world.maxFish) result.overCap++;
      low = Math.min(low, n);
      high = Math.max(high, n);
    }
    result.finals.push(world.fish.count);
    result.lows.push(low);
    result.highs.push(high);
  }
  return result;
}

if (!isMainThread && parentPort) parentPort.postMessage(survey(workerData));
