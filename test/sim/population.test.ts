import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createWorld, step, worldStats } from '../../src/sim/index.ts';
import type { SurveyResult } from './population-run.ts';

const SEEDS = 100;
const TICKS = 20_000;

describe('population', () => {
  it('should keep the default tank alive and within its cap for 20 000 ticks in at least 95 % of seeds', async () => {
    const worker = new Worker(new URL('./population-run.ts', import.meta.url), {
      workerData: { seeds: SEEDS, ticks: TICKS },
    });
    const [result] = (await once(worker, 'message')) as [SurveyResult];
    await worker.terminate();
    const { finals, lows, highs, overCap, maxFish } = result;
    const extinct = finals.filter((n) => n === 0).length;
    const sorted = [...finals].sort((a, b) => a - b);
    const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `population after ${TICKS} ticks over ${SEEDS} seeds (cap ${maxFish}): min ${sorted[0]}, p10 ${pick(0.1)}, ` +
        `median ${pick(0.5)}, p90 ${pick(0.9)}, max ${sorted.at(-1)}; lowest count seen ${Math.min(...lows)}, ` +
        `highest ${Math.max(...highs)}; extinct ${extinct}`,
    );
    expect(finals).toHaveLength(SEEDS);
    expect(overCap).toBe(0);
    expect(Math.max(...highs)).toBeLessThanOrEqual(maxFish);
    expect(extinct).toBeLessThanOrEqual(SEEDS * 0.05);
  });

  it('should never exceed a small cap even when food is plentiful', () => {
    const world = createWorld({ seed: 77, uidPrefix: 'cap', maxFish: 12, initialFish: 6 });
    let atCap = 0;
    for (let t = 0; t < 8000; t++) {
      step(world);
      expect(world.fish.count).toBeLessThanOrEqual(12);
      if (world.fish.count === 12) atCap++;
    }
    // The cap was actually pressed against, so the limit was exercised.
    expect(atCap).toBeGreaterThan(100);
    const stats = worldStats(world);
    expect(stats.births.sexual + stats.births.asexual).toBeGreaterThan(5);
  });
});
