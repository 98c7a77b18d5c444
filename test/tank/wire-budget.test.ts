import { describe, expect, it } from 'vitest';
import { createWorld, frameView, spawnFish, step } from '../../src/sim/index.ts';
import { createFrameDecoder, createFrameEncoder } from '../../src/tank/wire/index.ts';

/** The target: a viewer of a 100-fish tank at 20 Hz receives at most this (Colyseus: ~13 KB/s). */
const BUDGET_BYTES_PER_SECOND = 6_500;
const FISH = 100;
const HZ = 20;
const FRAMES = 600;

describe('wire codec bandwidth', () => {
  it(`should stay within ${BUDGET_BYTES_PER_SECOND} B/s per viewer for ${FISH} fish at ${HZ} Hz`, () => {
    const world = createWorld({ seed: 2026, uidPrefix: 'b', initialFish: FISH, maxFish: FISH + 50 });
    // Let the school spread out from its start position first.
    for (let t = 0; t < 300; t++) step(world);
    const encoder = createFrameEncoder({ keyframeEvery: 30 });
    const decoder = createFrameDecoder();
    let bytes = 0;
    let fish = 0;
    for (let n = 0; n < FRAMES; n++) {
      // Tick 30 Hz, broadcast 20 Hz: 1 and 2 ticks alternately; births and deaths go on, spawns top up.
      for (let t = 0; t < 1 + (n % 2); t++) step(world);
      while (world.fish.count < FISH) spawnFish(world);
      const encoded = encoder.encode(frameView(world));
      // A continuous viewer: the keyframe it joins with, then every delta (every 30th one a keyframe).
      const sent = n === 0 ? encoded.keyframe() : encoded.delta;
      expect(decoder.decode(sent)).not.toBeNull();
      bytes += sent.length;
      fish += world.fish.count;
    }
    const perSecond = bytes / (FRAMES / HZ);
    console.log(
      `wire: ${Math.round(perSecond)} B/s per viewer, ${Math.round(bytes / FRAMES)} B/frame, ` +
        `${(fish / FRAMES).toFixed(1)} fish on average, ${HZ} Hz, keyframe every 30 frames`,
    );
    expect(perSecond).toBeLessThanOrEqual(BUDGET_BYTES_PER_SECOND);
  });
});
