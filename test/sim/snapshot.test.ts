import { describe, expect, it } from 'vitest';
import { createWorld, restore, SimError, serialize, step, type World } from '../../src/sim/index.ts';

function run(world: World, ticks: number): void {
  for (let t = 0; t < ticks; t++) step(world);
}

describe('snapshot', () => {
  it('should give the same state after N ticks, a JSON round trip and M more as after N+M straight', () => {
    for (const [seed, n, m] of [
      [3, 1000, 1500],
      [11, 4321, 2000],
      [12345, 7, 3000],
    ]) {
      const straight = createWorld({ seed, uidPrefix: 's' });
      run(straight, n + m);
      const first = createWorld({ seed, uidPrefix: 's' });
      run(first, n);
      const saved = serialize(first);
      const resumed = restore(JSON.parse(JSON.stringify(saved)));
      expect(resumed.frame).toBe(n);
      run(resumed, m);
      const end = serialize(resumed);
      expect(end).toEqual(serialize(straight));
      // The resumed stretch was eventful: fish were born, died and played.
      expect(end.counters.births.sexual).toBeGreaterThan(saved.counters.births.sexual);
      expect(end.counters.pokerHands).toBeGreaterThan(saved.counters.pokerHands);
      expect(end.fish.map((f) => f.uid)).not.toEqual(saved.fish.map((f) => f.uid));
    }
  });

  it('should keep the snapshot JSON-stable (serialize → restore → serialize is identity)', () => {
    const world = createWorld({ seed: 5, uidPrefix: 's' });
    run(world, 2500);
    const snap = serialize(world);
    expect(serialize(restore(JSON.parse(JSON.stringify(snap))))).toEqual(snap);
  });

  it('should reject a malformed snapshot with invalid_snapshot', () => {
    const world = createWorld({ seed: 5, uidPrefix: 's' });
    run(world, 100);
    const good = serialize(world);
    const bad = [
      null,
      { ...good, version: 2 },
      { ...good, rng: [1, 2, 3] },
      { ...good, fish: [{ ...good.fish[0], energy: -5 }] },
      { ...good, fish: [good.fish[0], good.fish[0]] },
      { ...good, plants: [{ ...good.plants[0], spot: 99 }] },
      { ...good, food: [{ ...good.food[0], type: 'pizza' }] },
    ];
    for (const snapshot of bad) {
      expect(() => restore(JSON.parse(JSON.stringify(snapshot)))).toThrow(
        expect.objectContaining({ name: 'SimError', code: 'invalid_snapshot' }),
      );
    }
    expect(() => restore(undefined)).toThrow(SimError);
  });
});
