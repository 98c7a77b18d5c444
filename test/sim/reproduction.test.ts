import { describe, expect, it } from 'vitest';
import { type BirthEvent, createWorld, step, worldStats } from '../../src/sim/index.ts';

describe('reproduction', () => {
  it('should produce births by budding, by mating and after poker, each with the right parents', () => {
    const world = createWorld({ seed: 2024, uidPrefix: 'r' });
    const births: BirthEvent[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < world.fish.count; i++) seen.set(world.fish.uid[i], world.fish.generation[i]);
    for (let t = 0; t < 12_000; t++) {
      for (const birth of step(world).births) {
        births.push(birth);
        seen.set(birth.uid, birth.generation);
      }
    }
    const byMode = (mode: string) => births.filter((b) => b.mode === mode);
    expect(byMode('asexual').length).toBeGreaterThan(0);
    expect(byMode('sexual').length).toBeGreaterThan(0);
    expect(byMode('poker').length).toBeGreaterThan(0);
    expect(byMode('spawned')).toEqual([]);
    for (const b of byMode('asexual')) expect(b.parents).toHaveLength(1);
    for (const b of byMode('sexual')) expect(b.parents).toHaveLength(1);
    for (const b of byMode('poker')) expect(new Set(b.parents).size).toBe(2);
    // A child is one generation past its (older-generation) parent.
    for (const b of births) {
      const parentGen = Math.max(...b.parents.map((p) => seen.get(p) ?? -1));
      if (b.mode !== 'sexual') expect(b.generation).toBe(parentGen + 1);
      else expect(b.generation).toBeGreaterThan(parentGen);
    }
    const stats = worldStats(world);
    expect(stats.births).toEqual({
      asexual: byMode('asexual').length,
      sexual: byMode('sexual').length,
      poker: byMode('poker').length,
      spawned: 0,
    });
    expect(stats.maxGeneration).toBe(Math.max(...births.map((b) => b.generation)));
  });

  it('should count every death under its cause and match the events', () => {
    const world = createWorld({ seed: 31, uidPrefix: 'd' });
    const causes: Record<string, number> = { starvation: 0, old_age: 0, predation: 0 };
    for (let t = 0; t < 12_000; t++) for (const death of step(world).deaths) causes[death.cause]++;
    expect(worldStats(world).deaths).toEqual(causes);
    expect(causes.starvation).toBeGreaterThan(0);
    expect(causes.old_age).toBeGreaterThan(0);
    expect(causes.predation).toBeGreaterThan(0);
  });
});
