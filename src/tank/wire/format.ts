/**
 * @module
 * The binary frame format: layout constants, quantisation shared by the encoder and the decoder,
 * and the byte layout below. Multi-byte integers are little-endian; `uv` is an unsigned LEB128
 * varint (at most 5 bytes, 32 bits), `zz` a zig-zag signed varint.
 *
 * Header (every frame):
 *
 * | bytes | field | notes |
 * |---|---|---|
 * | 1 | magic and version | `0xF1`: high nibble magic `F`, low nibble version 1 |
 * | 1 | kind | `1` keyframe, `2` delta; bit 7 set when a stats block follows the header |
 * | 1 | seq | encode counter mod 256: a delta applies only on top of seq − 1 |
 * | 4 | frame | tank frame number (u32) |
 * | 2 | day phase | u16, phase × 65536 (0 midnight, 32768 noon) |
 * | zz | base gap | delta only: frame − base frame; the delta applies to the frame `frame − gap` |
 * | 5 × uv | stats | only with kind bit 7: maxGeneration, births, deaths, pokerHands, totalEnergy |
 *
 * Keyframe body: the crab, then each list as `uv count` and records. Ids in a list are chained:
 * each record's `id` is `zz (id − previous record's id)`, the first one relative to 0.
 *
 * | record | fields |
 * |---|---|
 * | crab | x u16, y u16, vx zz, vy zz |
 * | fish | id, x u16, y u16, vx zz, vy zz, size u8, energy u8, hue u8, look u8 (pattern bits 0–1, poker effect bits 2–3), poker amount zz if the effect is not 0 |
 * | food | id, x u16, y u16, vx zz, vy zz, remaining u8, type u8 |
 * | plant | id, x u16, y u16, look u8 (nectar bit 7, size × 127 in bits 0–6) |
 *
 * Delta body:
 *
 * 1. For fish, food and plants in turn: `uv removed`, the removed ids (id chain), `uv added`,
 *    the added records (keyframe records, their own id chain). The list order both sides keep is
 *    the previous frame's order without the removed entities, then the added ones in record order.
 * 2. One byte of Rice parameters: `kFish << 4 | kFood`.
 * 3. A bit stream (most significant bit first, zero-padded to a byte) of Rice-coded zig-zag
 *    position residuals, x then y: the crab and every surviving fish with `kFish`, every
 *    surviving food item with `kFood`. A value `z` is `z >> k` one-bits, a zero-bit and the low
 *    `k` bits of `z`; from `RICE_ESCAPE` one-bits on, the value follows raw in `RICE_RAW_BITS`.
 * 4. Attribute changes of survivors, per list `uv count` then entries `uv (gap << flagBits |
 *    flags)` where `gap` counts the unchanged survivors skipped since the previous entry, then
 *    the changed values in flag order. Fish: 1 size u8, 2 energy u8, 4 look (hue u8, look u8,
 *    poker amount zz if the effect is not 0). Food: 1 remaining u8, 2 type u8. Plants: 1 look
 *    u8, 2 position (x u16, y u16). Every attribute is covered, so after any frame the decoder
 *    holds exactly what the encoder holds.
 *
 * Positions travel as predictions: both sides keep each entity's last quantised position and a
 * velocity in position units per tick, predict `position + velocity × ticks` (clamped to the u16
 * range) and the delta carries only the residual. After a delta the velocity becomes the last
 * displacement divided by the ticks it took (rounded), so no per-frame velocities are sent;
 * keyframes and added records carry the velocity so the prediction can start. Because both sides
 * run the same integer arithmetic on the same quantised values, rounding never accumulates.
 */

/** Byte 0 of every frame. */
export const MAGIC_VERSION = 0xf1;

/** Frame kinds (byte 1, low bits). */
export const FrameKind = { keyframe: 1, delta: 2 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Byte 1 bit set when a stats block follows the header. */
export const KIND_STATS_FLAG = 0x80;
export const KIND_MASK = 0x7f;

/**
 * Positions: 1/16 px in a u16, so tanks up to 4096 px a side (beyond that they are held at the
 * edge); velocities in the same units per tick. Sub-pixel steps keep slow fish gliding rather
 * than stepping; each halving of the step costs about one bit per coordinate per frame.
 */
export const POSITION_SCALE = 16;
export const POSITION_MAX = 0xffff;
const VELOCITY_MAX = 0x7fff;
/** Fish size in 1/128 (a u8 covers sizes up to ~2). */
export const SIZE_SCALE = 128;
/** Hue in 1/256 of the colour circle. */
export const HUE_SCALE = 256;
/**
 * Energy ratio of fish and remaining share of food, in percent: a fish's energy moves by about a
 * percent every 15 ticks, so finer steps would put most fish in the change list of every delta.
 */
export const RATIO_SCALE = 100;
/** Plant size in 1/127, beside the nectar bit. */
export const PLANT_SIZE_SCALE = 127;
export const PLANT_NECTAR_BIT = 0x80;
export const DAY_PHASE_SCALE = 65536;

/** Rice code: from this many one-bits on, the value follows raw. */
export const RICE_ESCAPE = 16;
/** Zig-zag residuals of u16 positions fit 17 bits. */
export const RICE_RAW_BITS = 17;
export const RICE_MAX_K = 15;

/** Attribute-change flags per list. */
export const FishChange = { size: 1, energy: 2, look: 4 } as const;
export const FISH_CHANGE_BITS = 3;
export const FoodChange = { remaining: 1, type: 2 } as const;
export const FOOD_CHANGE_BITS = 2;
export const PlantChange = { look: 1, position: 2 } as const;
export const PLANT_CHANGE_BITS = 2;

/** The stats block's fields, in order. */
export const STATS_KEYS = ['maxGeneration', 'births', 'deaths', 'pokerHands', 'totalEnergy'] as const;

/**
 * Tank-wide counters a viewer shows beside the tank. Integers (rounded when encoded); send them
 * when they change or every second or so, and the encoder repeats the last ones in keyframes.
 */
export type TankStats = Record<(typeof STATS_KEYS)[number], number>;

/**
 * `v` rounded and held within 0–`hi`; NaN becomes 0. Truncating `v + 0.5` rounds a positive
 * value like `Math.round` at a fraction of its cost, and this runs for every field of every fish.
 */
function toRange(v: number, hi: number): number {
  return v > 0 ? (v < hi ? (v + 0.5) | 0 : hi) : 0;
}

/** `v` rounded and held within ±`max`; NaN becomes 0. */
function toRangeSigned(v: number, max: number): number {
  const q = Math.round(v);
  if (q < -max) return -max;
  if (q > max) return max;
  return Number.isNaN(q) ? 0 : q;
}

/** px → u16 position units. */
export function quantPosition(px: number): number {
  return toRange(px * POSITION_SCALE, POSITION_MAX);
}

/** px per tick → signed velocity units. */
export function quantVelocity(v: number): number {
  return toRangeSigned(v * POSITION_SCALE, VELOCITY_MAX);
}

export function quantSize(size: number): number {
  return toRange(size * SIZE_SCALE, 255);
}

export function quantHue(hue: number): number {
  return Math.round(hue * HUE_SCALE) & 255;
}

/** Pattern (0–3) and poker effect (0–3) in one byte. */
export function quantFishLook(pattern: number, pokerEffect: number): number {
  return toRange(pattern, 3) | ((pokerEffect & 3) << 2);
}

/** `part / whole` in percent, 0 when `whole` is not positive. */
export function quantRatio(part: number, whole: number): number {
  return whole > 0 ? toRange((part / whole) * RATIO_SCALE, RATIO_SCALE) : 0;
}

export function quantAmount(amount: number): number {
  return toRangeSigned(amount, 0x7fffffff);
}

export function quantPlantLook(size: number, nectar: number): number {
  return toRange(size * PLANT_SIZE_SCALE, PLANT_SIZE_SCALE) | (nectar ? PLANT_NECTAR_BIT : 0);
}

export function quantDayPhase(phase: number): number {
  return Math.round(phase * DAY_PHASE_SCALE) & 0xffff;
}

export function quantStat(v: number): number {
  // Past 2^31 the `| 0` in `fit` would wrap.
  return v < 0x7fffffff ? toRange(v, 0x7fffffff) : Math.min(Math.round(v), 0xffffffff);
}

/**
 * Where an entity is expected after `ticks`: the shared prediction both sides compute from
 * quantised values only.
 */
export function predict(position: number, velocity: number, ticks: number): number {
  return Math.min(Math.max(position + velocity * ticks, 0), POSITION_MAX);
}

/** The velocity both sides keep after a move of `moved` units over `ticks`. */
export function velocityAfter(moved: number, ticks: number, previous: number): number {
  if (ticks === 1) return moved;
  // `| 0` turns the -0 of rounding a small negative into 0, as the encoder's Int32Array does.
  return ticks > 0 ? Math.round(moved / ticks) | 0 : previous;
}

/** Ticks between the base frame and this one; frames that go back count as none. */
export function ticksBetween(gap: number): number {
  return Math.max(gap, 0);
}
