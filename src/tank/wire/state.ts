/**
 * @module
 * The encoder's side of the shared state: from a frame view, the next quantised state of every
 * list (survivors in the previous order, then additions), the ids that left, and the zig-zag
 * position residuals against the shared prediction. Allocates nothing once the tables have
 * grown to the tank's size.
 */
import type { FrameView } from '../../sim/index.ts';
import {
  FishChange,
  FoodChange,
  PlantChange,
  predict,
  quantAmount,
  quantFishLook,
  quantHue,
  quantPlantLook,
  quantPosition,
  quantRatio,
  quantSize,
  quantVelocity,
  velocityAfter,
} from './format.ts';
import {
  buildIdIndex,
  createIdIndex,
  createTable,
  type IdIndex,
  lookupId,
  reserve,
  type Table,
} from './table.ts';
import { zigzag } from './varint.ts';

/** Columns per list; `src` is the row's index in the frame view it came from. */
export const FISH_KEYS = [
  'id',
  'src',
  'x',
  'y',
  'vx',
  'vy',
  'size',
  'energy',
  'hue',
  'look',
  'amount',
] as const;
export const FOOD_KEYS = ['id', 'src', 'x', 'y', 'vx', 'vy', 'remaining', 'type'] as const;
export const PLANT_KEYS = ['id', 'src', 'x', 'y', 'look'] as const;
type Common = 'id' | 'src';

/** One list across a frame: what was sent last (`prev`), what is sent now (`next`), and how they pair up. */
export interface Track<K extends string> {
  readonly keys: readonly K[];
  prev: Table<K>;
  next: Table<K>;
  /** Row `j` of `next` came from row `from[j]` of `prev`; -1 for additions. */
  from: Int32Array;
  /** Rows of `prev` that left. */
  removed: Int32Array;
  removedCount: number;
  /** Rows of `next` below this are survivors; the rest are additions. */
  survivors: number;
  /** Change flags of each survivor against its previous row, and how many are not 0. */
  flags: Int32Array;
  changes: number;
  readonly index: IdIndex;
  /** View indices already paired in this frame (stamped with `generation`). */
  seen: Uint32Array;
  generation: number;
}

export function createTrack<K extends string>(keys: readonly K[]): Track<K> {
  return {
    keys,
    prev: createTable(keys),
    next: createTable(keys),
    from: new Int32Array(64),
    removed: new Int32Array(64),
    removedCount: 0,
    survivors: 0,
    flags: new Int32Array(64),
    changes: 0,
    index: createIdIndex(),
    seen: new Uint32Array(64),
    generation: 0,
  };
}

function grown<T extends Int32Array | Uint32Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  let size = a.length * 2;
  while (size < n) size *= 2;
  return new (a.constructor as new (n: number) => T)(size);
}

/**
 * Pairs the view's ids with the previous rows; fills `from`, `next.src`, `removed` and
 * `survivors`. An entity usually keeps its view index from frame to frame (only deaths move
 * others, by swap-remove), so the previous index is tried first and the id index is built only
 * on a miss.
 */
function pair<K extends string>(t: Track<K | Common>, ids: Int32Array, count: number): void {
  const prev = t.prev;
  reserve(t.next, t.keys, count);
  t.from = grown(t.from, count);
  t.flags = grown(t.flags, count);
  t.removed = grown(t.removed, prev.count);
  if (t.seen.length < count) {
    t.seen = grown(t.seen, count);
    t.generation = 0;
  }
  t.generation = (t.generation + 1) >>> 0 || 1;
  const { from, removed, seen, generation } = t;
  const { id: prevId, src: hint } = prev;
  const src = t.next.src;
  let indexed = false;
  let n = 0;
  let gone = 0;
  for (let s = 0; s < prev.count; s++) {
    const id = prevId[s];
    let i = hint[s];
    if (i >= count || ids[i] !== id) {
      if (!indexed) buildIdIndex(t.index, ids, count);
      indexed = true;
      i = lookupId(t.index, id);
    }
    if (i < 0) {
      removed[gone++] = s;
      continue;
    }
    from[n] = s;
    src[n++] = i;
    seen[i] = generation;
  }
  t.survivors = n;
  t.removedCount = gone;
  for (let i = 0; i < count; i++) {
    if (seen[i] === generation) continue;
    from[n] = -1;
    src[n++] = i;
  }
  t.next.count = n;
}

/** Swaps `prev` and `next` once a frame is done. */
export function commit<K extends string>(t: Track<K>): void {
  const done = t.prev;
  t.prev = t.next;
  t.next = done;
}

/**
 * Quantises the positions of one list into `next` and writes the survivors' residuals to `z`
 * from `at`; returns the index after them. Additions take velocity `vxs`/`vys` (px per tick) or
 * start at rest without them.
 */
function move<K extends string>(
  t: Track<K | Common | Motion>,
  xs: Float64Array,
  ys: Float64Array,
  vxs: Float64Array | null,
  vys: Float64Array | null,
  ticks: number,
  z: Int32Array,
  at: number,
): number {
  const from = t.from;
  const { x: px, y: py, vx: pvx, vy: pvy } = t.prev;
  const { src, x: nx, y: ny, vx: nvx, vy: nvy, count } = t.next;
  let k = at;
  for (let j = 0; j < count; j++) {
    const i = src[j];
    const x = quantPosition(xs[i]);
    const y = quantPosition(ys[i]);
    nx[j] = x;
    ny[j] = y;
    const s = from[j];
    if (s >= 0) {
      z[k++] = zigzag(x - predict(px[s], pvx[s], ticks));
      z[k++] = zigzag(y - predict(py[s], pvy[s], ticks));
      nvx[j] = velocityAfter(x - px[s], ticks, pvx[s]);
      nvy[j] = velocityAfter(y - py[s], ticks, pvy[s]);
    } else {
      nvx[j] = vxs === null ? 0 : quantVelocity(vxs[i]);
      nvy[j] = vys === null ? 0 : quantVelocity(vys[i]);
    }
  }
  return k;
}

type Motion = 'x' | 'y' | 'vx' | 'vy';

/**
 * Fills `next` for fish, marks changed survivors in `flags`, and writes residuals to `z` from
 * `at`; returns the index after them.
 */
export function updateFish(
  t: Track<(typeof FISH_KEYS)[number]>,
  v: FrameView,
  ticks: number,
  z: Int32Array,
  at: number,
): number {
  pair(t, v.fishId, v.fishCount);
  const end = move(t, v.fishX, v.fishY, v.fishVx, v.fishVy, ticks, z, at);
  const { from, flags } = t;
  const { size: ps, energy: pe, hue: ph, look: pl, amount: pa } = t.prev;
  const { id, src, size, energy, hue, look, amount, count } = t.next;
  const { fishId, fishSize, fishEnergy, fishMaxEnergy, fishHue, fishPattern, fishPokerEffect } = v;
  let changes = 0;
  for (let j = 0; j < count; j++) {
    const i = src[j];
    id[j] = fishId[i];
    size[j] = quantSize(fishSize[i]);
    energy[j] = quantRatio(fishEnergy[i], fishMaxEnergy[i]);
    hue[j] = quantHue(fishHue[i]);
    const effect = fishPokerEffect[i];
    look[j] = quantFishLook(fishPattern[i], effect);
    amount[j] = effect === 0 ? 0 : quantAmount(v.fishPokerEffectAmount[i]);
    const s = from[j];
    if (s < 0) continue;
    const f =
      (size[j] !== ps[s] ? FishChange.size : 0) |
      (energy[j] !== pe[s] ? FishChange.energy : 0) |
      (hue[j] !== ph[s] || look[j] !== pl[s] || amount[j] !== pa[s] ? FishChange.look : 0);
    flags[j] = f;
    if (f !== 0) changes++;
  }
  t.changes = changes;
  return end;
}

/** Like `updateFish` for food; the view has no food velocity, so additions start at rest. */
export function updateFood(
  t: Track<(typeof FOOD_KEYS)[number]>,
  v: FrameView,
  ticks: number,
  z: Int32Array,
  at: number,
): number {
  pair(t, v.foodId, v.foodCount);
  const end = move(t, v.foodX, v.foodY, null, null, ticks, z, at);
  const { from, flags } = t;
  const { remaining: pr, type: pt } = t.prev;
  const { id, src, remaining, type, count } = t.next;
  let changes = 0;
  for (let j = 0; j < count; j++) {
    const i = src[j];
    id[j] = v.foodId[i];
    remaining[j] = quantRatio(v.foodEnergy[i], v.foodMaxEnergy[i]);
    type[j] = v.foodType[i];
    const s = from[j];
    if (s < 0) continue;
    const f = (remaining[j] !== pr[s] ? FoodChange.remaining : 0) | (type[j] !== pt[s] ? FoodChange.type : 0);
    flags[j] = f;
    if (f !== 0) changes++;
  }
  t.changes = changes;
  return end;
}

/** Plants stand still: no residuals, a moved plant is an attribute change. */
export function updatePlants(t: Track<(typeof PLANT_KEYS)[number]>, v: FrameView): void {
  pair(t, v.plantId, v.plantCount);
  const { from, flags } = t;
  const { x: px, y: py, look: pl } = t.prev;
  const { id, src, x, y, look, count } = t.next;
  let changes = 0;
  for (let j = 0; j < count; j++) {
    const i = src[j];
    id[j] = v.plantId[i];
    x[j] = quantPosition(v.plantX[i]);
    y[j] = quantPosition(v.plantY[i]);
    look[j] = quantPlantLook(v.plantSize[i], v.plantNectarReady[i]);
    const s = from[j];
    if (s < 0) continue;
    const f =
      (look[j] !== pl[s] ? PlantChange.look : 0) |
      (x[j] !== px[s] || y[j] !== py[s] ? PlantChange.position : 0);
    flags[j] = f;
    if (f !== 0) changes++;
  }
  t.changes = changes;
}
