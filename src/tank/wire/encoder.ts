/**
 * @module
 * The frame encoder: one per tank, called once per broadcast; the bytes it returns go to every
 * viewer of that tank. Deltas are built every call, keyframes only when someone asks (and every
 * `keyframeEvery`-th call, when the delta itself is a keyframe). See `format.ts` for the layout.
 */
import type { FrameView } from '../../sim/index.ts';
import { chooseRiceK, endBits, writeRiceRun } from './bits.ts';
import { WireError } from './errors.ts';
import {
  FISH_CHANGE_BITS,
  FOOD_CHANGE_BITS,
  FrameKind,
  KIND_STATS_FLAG,
  MAGIC_VERSION,
  PLANT_CHANGE_BITS,
  predict,
  quantDayPhase,
  quantPosition,
  quantStat,
  STATS_KEYS,
  type TankStats,
  ticksBetween,
  velocityAfter,
} from './format.ts';
import {
  commit,
  createTrack,
  FISH_KEYS,
  FOOD_KEYS,
  PLANT_KEYS,
  updateFish,
  updateFood,
  updatePlants,
} from './state.ts';
import { createByteWriter, writeU8, writeU16, writeU32, writeUv, writeZz, zigzag } from './varint.ts';
import {
  fishValues,
  foodValues,
  plantValues,
  writeChanges,
  writeFishRecord,
  writeFoodRecord,
  writeListChanges,
  writePlantRecord,
} from './writers.ts';

interface Crab {
  x: number;
  y: number;
  vx: number;
  vy: number;
}

export interface FrameEncoderOptions {
  /** Every n-th encoded frame is a keyframe, starting with the first. */
  keyframeEvery?: number;
}

export interface EncodeOptions {
  /** Tank counters to send with this frame; keyframes repeat the last ones given. */
  tankStats?: TankStats;
}

/** One broadcast's bytes. `delta` is what continuous viewers get; `keyframe()` is for new or lagging ones. */
export interface EncodedFrame {
  /** The tank frame number encoded. */
  readonly frame: number;
  /** Changes since the previous call, or a keyframe when `isKeyframe`. Never reused by the encoder. */
  readonly delta: Uint8Array;
  readonly isKeyframe: boolean;
  /**
   * The full state at this frame, built on the first call and cached. Call it before the next
   * `encode`: after that the encoder no longer holds this frame and throws `stale_frame`.
   */
  keyframe(): Uint8Array;
}

export interface FrameEncoder {
  encode(view: FrameView, options?: EncodeOptions): EncodedFrame;
}

/**
 * Creates the encoder of one tank. It remembers the quantised state it last sent, so every
 * delta is relative to exactly what its viewers hold and rounding never drifts.
 *
 * @example
 * ```ts
 * const encoder = createFrameEncoder({ keyframeEvery: 30 });
 * const encoded = encoder.encode(frameView(world));
 * for (const viewer of viewers) viewer.send(viewer.fresh ? encoded.keyframe() : encoded.delta);
 * ```
 */
export function createFrameEncoder({ keyframeEvery = 30 }: FrameEncoderOptions = {}): FrameEncoder {
  if (!Number.isInteger(keyframeEvery) || keyframeEvery < 1) {
    throw new WireError('invalid_options', 'keyframeEvery must be a positive integer');
  }
  const fish = createTrack(FISH_KEYS);
  const food = createTrack(FOOD_KEYS);
  const plants = createTrack(PLANT_KEYS);
  const crab: Crab = { x: 0, y: 0, vx: 0, vy: 0 };
  const out = createByteWriter(4096);
  const stats = new Float64Array(STATS_KEYS.length);
  let hasStats = false;
  let residuals = new Int32Array(256);
  let encodes = 0;
  let frame = 0;
  let phase = 0;

  function header(kind: FrameKind, withStats: boolean): void {
    out.pos = 0;
    writeU8(out, MAGIC_VERSION);
    writeU8(out, kind | (withStats ? KIND_STATS_FLAG : 0));
    writeU8(out, (encodes - 1) & 0xff);
    writeU32(out, frame);
    writeU16(out, phase);
  }

  function writeStats(): void {
    for (let k = 0; k < stats.length; k++) writeUv(out, stats[k]);
  }

  /** The state as of the last encode, in full. */
  function writeKeyframe(): Uint8Array {
    header(FrameKind.keyframe, hasStats);
    if (hasStats) writeStats();
    writeU16(out, crab.x);
    writeU16(out, crab.y);
    writeZz(out, crab.vx);
    writeZz(out, crab.vy);
    writeUv(out, fish.prev.count);
    for (let j = 0, id = 0; j < fish.prev.count; j++) id = writeFishRecord(out, fish.prev, j, id);
    writeUv(out, food.prev.count);
    for (let j = 0, id = 0; j < food.prev.count; j++) id = writeFoodRecord(out, food.prev, j, id);
    writeUv(out, plants.prev.count);
    for (let j = 0, id = 0; j < plants.prev.count; j++) id = writePlantRecord(out, plants.prev, j, id);
    // A copy, because the socket layer may still hold it when the buffer is reused.
    return out.buf.slice(0, out.pos);
  }

  function writeDelta(baseFrame: number, withStats: boolean, zFish: number, zEnd: number): Uint8Array {
    header(FrameKind.delta, withStats);
    writeZz(out, (frame - baseFrame) | 0);
    if (withStats) writeStats();
    writeListChanges(out, fish, writeFishRecord);
    writeListChanges(out, food, writeFoodRecord);
    writeListChanges(out, plants, writePlantRecord);
    const kFish = chooseRiceK(residuals, 0, zFish);
    const kFood = chooseRiceK(residuals, zFish, zEnd);
    writeU8(out, (kFish << 4) | kFood);
    writeRiceRun(out, residuals, 0, zFish, kFish);
    writeRiceRun(out, residuals, zFish, zEnd, kFood);
    endBits(out);
    writeChanges(out, fish, FISH_CHANGE_BITS, fishValues);
    writeChanges(out, food, FOOD_CHANGE_BITS, foodValues);
    writeChanges(out, plants, PLANT_CHANGE_BITS, plantValues);
    return out.buf.slice(0, out.pos);
  }

  return {
    encode(view, { tankStats } = {}) {
      const baseFrame = frame;
      frame = view.frame >>> 0;
      phase = quantDayPhase(view.dayPhase);
      // The first frame is a keyframe and predicts nothing: zero ticks keep the crab at rest.
      const ticks = encodes === 0 ? 0 : ticksBetween((frame - baseFrame) | 0);
      if (tankStats) {
        for (let k = 0; k < STATS_KEYS.length; k++) stats[k] = quantStat(tankStats[STATS_KEYS[k]]);
        hasStats = true;
      }
      const need = 2 + 2 * (view.fishCount + view.foodCount);
      if (residuals.length < need) residuals = new Int32Array(need * 2);
      let z = crabResiduals(crab, view, ticks, residuals);
      const zFish = updateFish(fish, view, ticks, residuals, z);
      z = updateFood(food, view, ticks, residuals, zFish);
      updatePlants(plants, view);
      encodes++;
      const isKeyframe = (encodes - 1) % keyframeEvery === 0;
      const delta = isKeyframe ? null : writeDelta(baseFrame, tankStats !== undefined, zFish, z);
      commit(fish);
      commit(food);
      commit(plants);
      const sequence = encodes;
      const at = frame;
      let keyframe = isKeyframe ? writeKeyframe() : null;
      return {
        frame: at,
        delta: keyframe ?? (delta as Uint8Array),
        isKeyframe,
        keyframe() {
          if (keyframe) return keyframe;
          if (sequence !== encodes) {
            throw new WireError('stale_frame', `frame ${at} was replaced by a newer encode`);
          }
          keyframe = writeKeyframe();
          return keyframe;
        },
      };
    },
  };
}

/** Moves the crab's state on and writes its residuals to `z[0..2)`; returns 2. */
function crabResiduals(crab: Crab, view: FrameView, ticks: number, z: Int32Array): number {
  const x = quantPosition(view.crabX);
  const y = quantPosition(view.crabY);
  z[0] = zigzag(x - predict(crab.x, crab.vx, ticks));
  z[1] = zigzag(y - predict(crab.y, crab.vy, ticks));
  crab.vx = velocityAfter(x - crab.x, ticks, crab.vx);
  crab.vy = velocityAfter(y - crab.y, ticks, crab.vy);
  crab.x = x;
  crab.y = y;
  return 2;
}
