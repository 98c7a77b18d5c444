import { describe, expect, it } from 'vitest';
import {
  createWorld,
  extractEntity,
  type FrameView,
  frameView,
  spawnFish,
  spawnFood,
  step,
  type World,
} from '../../src/sim/index.ts';
import {
  createFrameDecoder,
  createFrameEncoder,
  encodeJsonFrame,
  type FrameDecoder,
  type TankFrame,
  WireError,
} from '../../src/tank/wire/index.ts';

/** Half a quantum of each quantised field, plus float slack. */
const TOL = { position: 1 / 32 + 1e-9, size: 1 / 256 + 1e-9, ratio: 0.005 + 1e-9, hue: 1 / 512 + 1e-9 };

function makeWorld(seed: number, fish: number): World {
  const world = createWorld({ seed, uidPrefix: 'w', initialFish: fish, maxFish: fish + 50 });
  for (let t = 0; t < 150; t++) step(world);
  return world;
}

/** One broadcast at 20 Hz with a 30 Hz tick: 1 and 2 ticks alternately. */
function advance(world: World, n: number, fish?: number): FrameView {
  for (let t = 0; t < 1 + (n % 2); t++) step(world);
  if (fish !== undefined) while (world.fish.count < fish) spawnFish(world);
  return frameView(world);
}

function circular(a: number, b: number): number {
  const d = Math.abs(a - b) % 1;
  return Math.min(d, 1 - d);
}

/** Asserts that `frame` shows what the world shows, within quantisation error. */
function expectMatches(frame: TankFrame | null, v: FrameView): void {
  expect(frame).not.toBeNull();
  const f = frame as TankFrame;
  expect(f.frame).toBe(v.frame);
  expect(circular(f.dayPhase, v.dayPhase)).toBeLessThanOrEqual(1 / 131072 + 1e-9);
  expect(f.fish.length).toBe(v.fishCount);
  expect(f.food.length).toBe(v.foodCount);
  expect(f.plants.length).toBe(v.plantCount);
  const fish = new Map(f.fish.map((e) => [e.id, e]));
  for (let i = 0; i < v.fishCount; i++) {
    const e = fish.get(v.fishId[i]);
    if (!e) throw new Error(`fish ${v.fishId[i]} missing in frame ${v.frame}`);
    expect(Math.abs(e.x - v.fishX[i])).toBeLessThanOrEqual(TOL.position);
    expect(Math.abs(e.y - v.fishY[i])).toBeLessThanOrEqual(TOL.position);
    expect(Math.abs(e.size - v.fishSize[i])).toBeLessThanOrEqual(TOL.size);
    expect(Math.abs(e.energy - v.fishEnergy[i] / v.fishMaxEnergy[i])).toBeLessThanOrEqual(TOL.ratio);
    expect(circular(e.hue, v.fishHue[i])).toBeLessThanOrEqual(TOL.hue);
    expect(e.pattern).toBe(v.fishPattern[i]);
    expect(e.pokerEffect).toBe(v.fishPokerEffect[i]);
    expect(e.pokerAmount).toBe(v.fishPokerEffect[i] === 0 ? 0 : Math.round(v.fishPokerEffectAmount[i]));
  }
  const food = new Map(f.food.map((e) => [e.id, e]));
  for (let k = 0; k < v.foodCount; k++) {
    const e = food.get(v.foodId[k]);
    if (!e) throw new Error(`food ${v.foodId[k]} missing in frame ${v.frame}`);
    expect(Math.abs(e.x - v.foodX[k])).toBeLessThanOrEqual(TOL.position);
    expect(Math.abs(e.y - v.foodY[k])).toBeLessThanOrEqual(TOL.position);
    expect(e.type).toBe(v.foodType[k]);
    expect(Math.abs(e.remaining - v.foodEnergy[k] / v.foodMaxEnergy[k])).toBeLessThanOrEqual(TOL.ratio);
  }
  const plants = new Map(f.plants.map((e) => [e.id, e]));
  for (let p = 0; p < v.plantCount; p++) {
    const e = plants.get(v.plantId[p]);
    if (!e) throw new Error(`plant ${v.plantId[p]} missing in frame ${v.frame}`);
    expect(Math.abs(e.x - v.plantX[p])).toBeLessThanOrEqual(TOL.position);
    expect(Math.abs(e.y - v.plantY[p])).toBeLessThanOrEqual(TOL.position);
    expect(Math.abs(e.size - v.plantSize[p])).toBeLessThanOrEqual(1 / 254 + 1e-9);
    expect(e.nectar).toBe(v.plantNectarReady[p] === 1);
  }
  expect(Math.abs(f.crab.x - v.crabX)).toBeLessThanOrEqual(TOL.position);
  expect(Math.abs(f.crab.y - v.crabY)).toBeLessThanOrEqual(TOL.position);
}

/** The largest position error over every fish and food item of a frame. */
function maxPositionError(frame: TankFrame, v: FrameView): number {
  const fish = new Map(frame.fish.map((e) => [e.id, e]));
  let worst = 0;
  for (let i = 0; i < v.fishCount; i++) {
    const e = fish.get(v.fishId[i]);
    if (!e) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, Math.abs(e.x - v.fishX[i]), Math.abs(e.y - v.fishY[i]));
  }
  return worst;
}

function decodeAll(decoder: FrameDecoder, bytes: Uint8Array): TankFrame {
  const frame = decoder.decode(bytes);
  if (frame === null) throw new Error('decoder refused a frame in sequence');
  return frame;
}

describe('wire codec: keyframes', () => {
  it('should round-trip a keyframe within quantisation error', () => {
    const world = makeWorld(11, 100);
    const view = frameView(world);
    const encoded = createFrameEncoder().encode(view);
    expect(encoded.isKeyframe).toBe(true);
    expect(encoded.frame).toBe(world.frame);
    expectMatches(createFrameDecoder().decode(encoded.keyframe()), view);
  });

  it('should decode fish velocities from the keyframe in px per tick', () => {
    const world = makeWorld(12, 20);
    const view = frameView(world);
    const frame = decodeAll(createFrameDecoder(), createFrameEncoder().encode(view).keyframe());
    const byId = new Map(frame.fish.map((f) => [f.id, f]));
    for (let i = 0; i < view.fishCount; i++) {
      const f = byId.get(view.fishId[i]);
      expect(Math.abs((f?.vx ?? Number.NaN) - view.fishVx[i])).toBeLessThanOrEqual(TOL.position);
      expect(Math.abs((f?.vy ?? Number.NaN) - view.fishVy[i])).toBeLessThanOrEqual(TOL.position);
    }
  });

  it('should make every keyframeEvery-th delta a keyframe, the same bytes as keyframe()', () => {
    const world = makeWorld(13, 30);
    const encoder = createFrameEncoder({ keyframeEvery: 5 });
    const kinds: boolean[] = [];
    for (let n = 0; n < 11; n++) {
      const encoded = encoder.encode(advance(world, n));
      kinds.push(encoded.isKeyframe);
      if (encoded.isKeyframe) expect(encoded.keyframe()).toBe(encoded.delta);
    }
    expect(kinds).toEqual([true, false, false, false, false, true, false, false, false, false, true]);
  });

  it('should build a keyframe once per encode and refuse it after the next encode', () => {
    const world = makeWorld(14, 30);
    const encoder = createFrameEncoder();
    encoder.encode(advance(world, 0));
    const encoded = encoder.encode(advance(world, 1));
    const first = encoded.keyframe();
    expect(encoded.keyframe()).toBe(first);
    const later = encoder.encode(advance(world, 2));
    expect(encoded.keyframe()).toBe(first);
    const unbuilt = later;
    encoder.encode(advance(world, 3));
    expect(() => unbuilt.keyframe()).toThrow(
      expect.objectContaining({ name: 'WireError', code: 'stale_frame' }),
    );
  });

  it('should refuse keyframeEvery below 1', () => {
    expect(() => createFrameEncoder({ keyframeEvery: 0 })).toThrow(WireError);
    expect(() => createFrameEncoder({ keyframeEvery: 1.5 })).toThrow(
      expect.objectContaining({ code: 'invalid_options' }),
    );
  });
});

describe('wire codec: deltas', () => {
  it('should follow a long delta chain without drift as fish are born, die and move', () => {
    const world = makeWorld(21, 60);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    let born = 0;
    let died = 0;
    let previous = new Set<number>();
    let worst = 0;
    for (let n = 0; n < 2400; n++) {
      const view = advance(world, n);
      const encoded = encoder.encode(view);
      const frame = decodeAll(decoder, n === 0 ? encoded.keyframe() : encoded.delta);
      if (n % 50 === 0 || n > 2350) expectMatches(frame, view);
      worst = Math.max(worst, maxPositionError(frame, view));
      const ids = new Set(frame.fish.map((f) => f.id));
      if (n > 0) for (const id of ids) if (!previous.has(id)) born++;
      for (const id of previous) if (!ids.has(id)) died++;
      previous = ids;
    }
    // Every frame of 3,600 ticks within half a quantum, with turnover on the way.
    expect(worst).toBeLessThanOrEqual(TOL.position);
    expect(born).toBeGreaterThan(5);
    expect(died).toBeGreaterThan(5);
  });

  it('should carry entities added and removed between frames, many at once', () => {
    const world = makeWorld(22, 40);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    decodeAll(decoder, encoder.encode(advance(world, 0)).keyframe());
    const added = spawnFish(world, { x: 500, y: 300 });
    const food = spawnFood(world, { count: 5, x: 100 });
    const gone = world.fish.uid.slice(0, 25);
    for (const uid of gone) extractEntity(world, uid);
    let view = advance(world, 1);
    let frame = decodeAll(decoder, encoder.encode(view).delta);
    expectMatches(frame, view);
    expect(frame.fish.some((f) => f.id === added.id)).toBe(true);
    expect(frame.food.filter((f) => food.includes(f.id)).length).toBeGreaterThan(0);
    for (const uid of world.fish.uid.slice()) extractEntity(world, uid);
    view = advance(world, 2);
    frame = decodeAll(decoder, encoder.encode(view).delta);
    expect(frame.fish).toEqual([]);
    expectMatches(frame, view);
    for (let n = 0; n < 10; n++) spawnFish(world);
    view = advance(world, 3);
    expectMatches(decodeAll(decoder, encoder.encode(view).delta), view);
  });

  it('should apply a delta of an unchanged frame on top of itself (a paused tank)', () => {
    const world = makeWorld(23, 20);
    const encoder = createFrameEncoder();
    const decoder = createFrameDecoder();
    const view = advance(world, 0);
    decodeAll(decoder, encoder.encode(view).keyframe());
    spawnFish(world, { x: 200, y: 200 });
    const again = frameView(world);
    expectMatches(decodeAll(decoder, encoder.encode(again).delta), again);
    expectMatches(decodeAll(decoder, encoder.encode(again).delta), again);
  });

  it('should keep a late joiner (lazy keyframe) in step with a continuous viewer', () => {
    const world = makeWorld(24, 50);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const early = createFrameDecoder();
    const late = createFrameDecoder();
    for (let n = 0; n < 200; n++) {
      const encoded = encoder.encode(advance(world, n, 50));
      const a = decodeAll(early, n === 0 ? encoded.keyframe() : encoded.delta);
      if (n < 77) continue;
      const b = decodeAll(late, n === 77 ? encoded.keyframe() : encoded.delta);
      expect(b).toEqual(a);
    }
  });
});

/** A hand-made view, for what the sim never does (plants leaving or moving, genes changing). */
function fakeView(
  frame: number,
  rows: { fish: number[][]; food: number[][]; plants: number[][] },
): FrameView {
  const f64 = (list: number[][], k: number) => Float64Array.from(list, (r) => r[k]);
  const i32 = (list: number[][], k: number) => Int32Array.from(list, (r) => r[k]);
  const u8 = (list: number[][], k: number) => Uint8Array.from(list, (r) => r[k]);
  const { fish, food, plants } = rows;
  return {
    frame,
    dayPhase: (frame % 1800) / 1800,
    fishCount: fish.length,
    fishId: i32(fish, 0),
    fishX: f64(fish, 1),
    fishY: f64(fish, 2),
    fishVx: f64(fish, 3),
    fishVy: f64(fish, 4),
    fishSize: f64(fish, 5),
    fishHue: f64(fish, 6),
    fishPattern: f64(fish, 7),
    fishEnergy: f64(fish, 8),
    fishMaxEnergy: Float64Array.from(fish, () => 100),
    fishPokerEffect: u8(fish, 9),
    fishPokerEffectFrames: Uint8Array.from(fish, () => 0),
    fishPokerEffectAmount: f64(fish, 10),
    foodCount: food.length,
    foodId: i32(food, 0),
    foodX: f64(food, 1),
    foodY: f64(food, 2),
    foodType: u8(food, 3),
    foodEnergy: f64(food, 4),
    foodMaxEnergy: Float64Array.from(food, () => 50),
    plantCount: plants.length,
    plantId: i32(plants, 0),
    plantX: f64(plants, 1),
    plantY: f64(plants, 2),
    plantSize: f64(plants, 3),
    plantNectarReady: u8(plants, 4),
    crabId: 1,
    crabX: 250 + frame,
    crabY: 567,
  };
}

describe('wire codec: every attribute', () => {
  it('should carry every change, including ones the sim does not make', () => {
    const frames = [
      fakeView(10, {
        fish: [
          [5, 10, 20, 1, -1, 0.5, 0.1, 0, 50, 0, 0],
          [9, 1000, 600, -3.3, 2.2, 1.2, 0.99, 3, 100, 1, 12.4],
        ],
        food: [[20, 5, 0, 6, 50]],
        plants: [
          [2, 100, 560, 0.3, 0],
          [3, 400, 560, 1, 1],
        ],
      }),
      fakeView(12, {
        fish: [
          [9, 1003, 598, -3.3, 2.2, 1.21, 0.5, 2, 0, 2, -40],
          [5, 12.5, 21.25, 1, -1, 0.6, 0.1, 1, 49, 0, 0],
          [30, 0, 4095, 0, 0, 0.35, 0, 0, 100, 3, 0],
        ],
        food: [[20, 5, 0.02, 1, 25]],
        plants: [[3, 410, 565, 0.8, 0]],
      }),
      fakeView(13, { fish: [], food: [], plants: [] }),
      fakeView(15, {
        fish: [[31, 544, 306, 0, 0, 1, 0.5, 1, 70, 0, 0]],
        food: [[40, 7, 8, 5, 50]],
        plants: [[41, 1, 2, 0.5, 1]],
      }),
    ];
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    frames.forEach((view, n) => {
      const encoded = encoder.encode(view);
      expectMatches(decoder.decode(n === 0 ? encoded.keyframe() : encoded.delta), view);
      expectMatches(createFrameDecoder().decode(encoded.keyframe()), view);
    });
  });

  it('should hold positions outside the u16 range at its edges', () => {
    const view = fakeView(1, { fish: [[1, -5, 5000, 0, 0, 1, 0, 0, 1, 0, 0]], food: [], plants: [] });
    const frame = decodeAll(createFrameDecoder(), createFrameEncoder().encode(view).keyframe());
    expect(frame.fish[0]).toMatchObject({ x: 0, y: 65535 / 16 });
  });
});

describe('wire codec: resync', () => {
  it('should refuse a delta before any keyframe', () => {
    const world = makeWorld(31, 10);
    const encoder = createFrameEncoder();
    encoder.encode(advance(world, 0));
    const decoder = createFrameDecoder();
    expect(decoder.needsKeyframe).toBe(true);
    expect(decoder.decode(encoder.encode(advance(world, 1)).delta)).toBeNull();
    expect(decoder.needsKeyframe).toBe(true);
  });

  it('should refuse a delta whose base is not the frame held, then recover on a keyframe', () => {
    const world = makeWorld(32, 40);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    decodeAll(decoder, encoder.encode(advance(world, 0)).keyframe());
    decodeAll(decoder, encoder.encode(advance(world, 1)).delta);
    expect(decoder.needsKeyframe).toBe(false);
    encoder.encode(advance(world, 2)); // skipped by this viewer
    expect(decoder.decode(encoder.encode(advance(world, 3)).delta)).toBeNull();
    expect(decoder.needsKeyframe).toBe(true);
    expect(decoder.decode(encoder.encode(advance(world, 4)).delta)).toBeNull();
    const view = advance(world, 5);
    const encoded = encoder.encode(view);
    expectMatches(decoder.decode(encoded.keyframe()), view);
    expect(decoder.needsKeyframe).toBe(false);
    for (let n = 6; n < 40; n++) {
      const next = advance(world, n);
      expectMatches(decoder.decode(encoder.encode(next).delta), next);
    }
  });

  it('should tell deltas of the same frame number apart (sequence byte)', () => {
    const world = makeWorld(33, 10);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    decodeAll(decoder, encoder.encode(frameView(world)).keyframe());
    spawnFish(world);
    encoder.encode(frameView(world)); // skipped: same frame number, one more fish
    spawnFish(world);
    expect(decoder.decode(encoder.encode(frameView(world)).delta)).toBeNull();
  });
});

describe('wire codec: determinism and stats', () => {
  it('should produce identical bytes from two encoders fed the same world', () => {
    const world = makeWorld(41, 80);
    const a = createFrameEncoder({ keyframeEvery: 7 });
    const b = createFrameEncoder({ keyframeEvery: 7 });
    for (let n = 0; n < 120; n++) {
      const view = advance(world, n, 80);
      const x = a.encode(view);
      const y = b.encode(view);
      expect(y.delta).toEqual(x.delta);
      if (n % 10 === 3) expect(y.keyframe()).toEqual(x.keyframe());
    }
  });

  it('should produce identical bytes from two worlds of the same seed', () => {
    const w1 = makeWorld(42, 30);
    const w2 = makeWorld(42, 30);
    const a = createFrameEncoder();
    const b = createFrameEncoder();
    for (let n = 0; n < 90; n++)
      expect(b.encode(advance(w2, n)).delta).toEqual(a.encode(advance(w1, n)).delta);
  });

  it('should send stats with the frame given them and repeat the last ones in keyframes', () => {
    const world = makeWorld(43, 10);
    const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
    const decoder = createFrameDecoder();
    const stats = { maxGeneration: 3, births: 12, deaths: 4, pokerHands: 70_000, totalEnergy: 5123.6 };
    expect(decodeAll(decoder, encoder.encode(advance(world, 0)).keyframe()).stats).toBeNull();
    const withStats = decodeAll(decoder, encoder.encode(advance(world, 1), { tankStats: stats }).delta);
    const rounded = { ...stats, totalEnergy: 5124 };
    expect(withStats.stats).toEqual(rounded);
    const after = encoder.encode(advance(world, 2));
    expect(decodeAll(decoder, after.delta).stats).toEqual(rounded);
    expect(decodeAll(createFrameDecoder(), after.keyframe()).stats).toEqual(rounded);
  });
});

describe('wire codec: JSON frames', () => {
  it('should give the decoder frame shape in px, rounded', () => {
    const world = makeWorld(51, 5);
    const view = frameView(world);
    const json = JSON.parse(
      encodeJsonFrame(view, {
        tankStats: { maxGeneration: 1, births: 2, deaths: 3, pokerHands: 4, totalEnergy: 5 },
      }),
    );
    expect(Object.keys(json).sort()).toEqual([
      'crab',
      'dayPhase',
      'fish',
      'food',
      'frame',
      'plants',
      'stats',
    ]);
    expect(json.frame).toBe(world.frame);
    expect(json.stats).toEqual({ maxGeneration: 1, births: 2, deaths: 3, pokerHands: 4, totalEnergy: 5 });
    expect(json.fish[0]).toEqual({
      id: view.fishId[0],
      x: Math.round(view.fishX[0] * 10) / 10,
      y: Math.round(view.fishY[0] * 10) / 10,
      vx: Math.round(view.fishVx[0] * 100) / 100,
      vy: Math.round(view.fishVy[0] * 100) / 100,
      size: Math.round(view.fishSize[0] * 100) / 100,
      hue: Math.round(view.fishHue[0] * 100) / 100,
      pattern: view.fishPattern[0],
      energy: Math.round((view.fishEnergy[0] / view.fishMaxEnergy[0]) * 100) / 100,
      pokerEffect: view.fishPokerEffect[0],
      pokerAmount: view.fishPokerEffect[0] === 0 ? 0 : Math.round(view.fishPokerEffectAmount[0]),
    });
    expect(Object.keys(json.food[0]).sort()).toEqual(['id', 'remaining', 'type', 'x', 'y']);
    expect(Object.keys(json.plants[0]).sort()).toEqual(['id', 'nectar', 'size', 'x', 'y']);
    expect(Object.keys(json.crab).sort()).toEqual(['x', 'y']);
    const binary = decodeAll(createFrameDecoder(), createFrameEncoder().encode(view).keyframe());
    expect(json.fish.map((f: { id: number }) => f.id).sort()).toEqual(binary.fish.map((f) => f.id).sort());
    expect(JSON.parse(encodeJsonFrame(view)).stats).toBeNull();
  });
});
