/**
 * @module
 * The frame decoder for browsers and tests: plain TypeScript over `Uint8Array` (no Node APIs).
 * It keeps the same quantised state as the tank's encoder, applies deltas on top of it, and asks
 * for a keyframe when a delta does not follow the frame it holds.
 */
import { endBitsRead } from './bits.ts';
import { WireError } from './errors.ts';
import {
  DAY_PHASE_SCALE,
  FISH_CHANGE_BITS,
  FOOD_CHANGE_BITS,
  FrameKind,
  HUE_SCALE,
  KIND_MASK,
  KIND_STATS_FLAG,
  MAGIC_VERSION,
  PLANT_CHANGE_BITS,
  PLANT_NECTAR_BIT,
  PLANT_SIZE_SCALE,
  POSITION_SCALE,
  RATIO_SCALE,
  SIZE_SCALE,
  type TankStats,
  ticksBetween,
} from './format.ts';
import {
  applyFishChange,
  applyFoodChange,
  applyPlantChange,
  malformed,
  move,
  type Row,
  readChanges,
  readFish,
  readFood,
  readList,
  readListChanges,
  readPlant,
  readStats,
  row,
} from './readers.ts';
import type { TankFrame } from './types.ts';
import { type ByteReader, createByteReader, readU8, readU16, readU32, readZz } from './varint.ts';

interface State {
  frame: number;
  seq: number;
  fish: Row[];
  food: Row[];
  plants: Row[];
  crab: Row;
  stats: TankStats | null;
}

export interface FrameDecoder {
  /**
   * Applies one frame and returns the tank as it now is, or null when `bytes` is a delta that
   * does not follow the frame held (none yet, or frames were skipped): then `needsKeyframe` is
   * true until a keyframe arrives. Throws `WireError` on bytes that are not a valid frame, and
   * then also waits for a keyframe.
   */
  decode(bytes: Uint8Array): TankFrame | null;
  readonly needsKeyframe: boolean;
}

function readKeyframe(r: ByteReader, frame: number, seq: number, stats: TankStats | null): State {
  const crab = row();
  crab.x = readU16(r);
  crab.y = readU16(r);
  crab.vx = readZz(r);
  crab.vy = readZz(r);
  const fish = readList(r, readFish);
  const food = readList(r, readFood);
  const plants = readList(r, readPlant);
  return { frame, seq, fish, food, plants, crab, stats };
}

function applyDelta(r: ByteReader, s: State, ticks: number): void {
  const fish = readListChanges(r, s.fish, readFish);
  const food = readListChanges(r, s.food, readFood);
  const plants = readListChanges(r, s.plants, readPlant);
  const ks = readU8(r);
  const kFish = ks >> 4;
  const kFood = ks & 15;
  move(r, s.crab, kFish, ticks);
  for (let j = 0; j < fish.survivors; j++) move(r, fish.list[j], kFish, ticks);
  for (let j = 0; j < food.survivors; j++) move(r, food.list[j], kFood, ticks);
  endBitsRead(r);
  readChanges(r, fish.list, fish.survivors, FISH_CHANGE_BITS, applyFishChange);
  readChanges(r, food.list, food.survivors, FOOD_CHANGE_BITS, applyFoodChange);
  readChanges(r, plants.list, plants.survivors, PLANT_CHANGE_BITS, applyPlantChange);
  s.fish = fish.list;
  s.food = food.list;
  s.plants = plants.list;
}

const px = (q: number): number => q / POSITION_SCALE;

function toFrame(s: State, phase: number): TankFrame {
  return {
    frame: s.frame,
    dayPhase: phase / DAY_PHASE_SCALE,
    fish: s.fish.map((f) => ({
      id: f.id,
      x: px(f.x),
      y: px(f.y),
      vx: px(f.vx),
      vy: px(f.vy),
      size: f.size / SIZE_SCALE,
      hue: f.hue / HUE_SCALE,
      pattern: f.look & 3,
      energy: f.ratio / RATIO_SCALE,
      pokerEffect: f.look >> 2,
      pokerAmount: f.amount,
    })),
    food: s.food.map((f) => ({
      id: f.id,
      x: px(f.x),
      y: px(f.y),
      type: f.look,
      remaining: f.ratio / RATIO_SCALE,
    })),
    plants: s.plants.map((p) => ({
      id: p.id,
      x: px(p.x),
      y: px(p.y),
      size: (p.size & ~PLANT_NECTAR_BIT) / PLANT_SIZE_SCALE,
      nectar: (p.size & PLANT_NECTAR_BIT) !== 0,
    })),
    crab: { x: px(s.crab.x), y: px(s.crab.y) },
    stats: s.stats === null ? null : { ...s.stats },
  };
}

/**
 * Creates a decoder for one tank's frame stream. Start it with a keyframe (the server sends one
 * to every new viewer); deltas before that return null.
 *
 * @example
 * ```ts
 * const decoder = createFrameDecoder();
 * socket.onmessage = (e) => {
 *   const tank = decoder.decode(new Uint8Array(e.data));
 *   if (tank) draw(tank);
 * };
 * ```
 */
export function createFrameDecoder(): FrameDecoder {
  let state: State | null = null;

  /** Applies `bytes` to `held` (which it may change in place); returns the new state and phase. */
  function apply(bytes: Uint8Array, held: State | null): { next: State | null; phase: number } {
    const r = createByteReader(bytes);
    if (readU8(r) !== MAGIC_VERSION) throw new WireError('bad_magic', 'not a tank frame of this version');
    const kindByte = readU8(r);
    const kind = kindByte & KIND_MASK;
    if (kind !== FrameKind.keyframe && kind !== FrameKind.delta) {
      throw new WireError('bad_kind', `unknown frame kind ${kind}`);
    }
    const seq = readU8(r);
    const frame = readU32(r);
    const phase = readU16(r);
    let next: State | null;
    if (kind === FrameKind.keyframe) {
      next = readKeyframe(r, frame, seq, kindByte & KIND_STATS_FLAG ? readStats(r) : null);
    } else {
      const gap = readZz(r);
      // The delta must follow the frame held, and be the next encode of it (a paused tank
      // re-encodes the same frame number).
      if (held === null || held.frame !== (frame - gap) >>> 0 || ((held.seq + 1) & 0xff) !== seq) {
        return { next: null, phase };
      }
      next = held;
      if (kindByte & KIND_STATS_FLAG) next.stats = readStats(r);
      applyDelta(r, next, ticksBetween(gap));
      next.frame = frame;
      next.seq = seq;
    }
    if (r.pos !== r.end) throw malformed('bytes after the end of the frame');
    return { next, phase };
  }

  return {
    decode(bytes) {
      const held = state;
      // Until this frame is through, hold nothing: a frame that fails half-way leaves the rows
      // half-updated, and any bad frame means the stream can no longer be trusted.
      state = null;
      const { next, phase } = apply(bytes, held);
      state = next;
      return next === null ? null : toFrame(next, phase);
    },
    get needsKeyframe() {
      return state === null;
    },
  };
}
