import { describe, expect, it } from 'vitest';
import { createWorld, extractEntity, insertEntity, step } from '../../src/sim/index.ts';

describe('uids', () => {
  it('should stay unique across thousands of births in several tanks and across transfers', () => {
    const tanks = ['t1', 't2', 't3', 't4'].map((uidPrefix, n) => createWorld({ seed: 100 + n, uidPrefix }));
    const uids = new Set<string>();
    let total = 0;
    for (const world of tanks) {
      for (let i = 0; i < world.fish.count; i++) {
        uids.add(world.fish.uid[i]);
        total++;
      }
    }
    for (let t = 0; t < 20_000; t++) {
      for (const world of tanks) {
        for (const birth of step(world).births) {
          expect(birth.uid.startsWith(`${world.uidPrefix}.`)).toBe(true);
          uids.add(birth.uid);
          total++;
        }
      }
      // Every 500 ticks a fish moves on to the next tank and keeps its uid there.
      if (t % 500 === 499) {
        const n = Math.floor(t / 500);
        const from = tanks[n % tanks.length];
        const to = tanks[(n + 1) % tanks.length];
        if (from.fish.count > 0 && to.fish.count < to.maxFish) {
          const uid = from.fish.uid[0];
          expect(insertEntity(to, extractEntity(from, uid)).uid).toBe(uid);
        }
      }
    }
    expect(total).toBeGreaterThan(2500);
    expect(uids.size).toBe(total);
    const living = tanks.flatMap((w) => w.fish.uid.slice(0, w.fish.count));
    expect(new Set(living).size).toBe(living.length);
  });
});
