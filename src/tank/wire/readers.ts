/**
 * @module
 * The decoder's readers: quantised rows as the encoder keeps them, keyframe records, list
 * changes, predicted moves and attribute changes. Every read is bounds-checked and every value
 * range-checked, so bad bytes end in a `WireError`, and every loop consumes input, so none runs
 * longer than the frame.
 */
import { readRice } from './bits.ts';
import { WireError } from './errors.ts';
import {
  FishChange,
  FoodChange,
  PlantChange,
  POSITION_MAX,
  predict,
  RATIO_SCALE,
  STATS_KEYS,
  type TankStats,
  velocityAfter,
} from './format.ts';
import { type ByteReader, readU8, readU16, readUv, readZz, unzigzag } from './varint.ts';

/** Quantised entity as both sides hold it; fields a kind does not have stay 0. */
export interface Row {
  id: number;
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Fish size; plant look byte. */
  size: number;
  /** Fish energy ratio; food remaining share. */
  ratio: number;
  hue: number;
  /** Fish pattern and effect; food type. */
  look: number;
  amount: number;
}

export function row(): Row {
  return { id: 0, x: 0, y: 0, vx: 0, vy: 0, size: 0, ratio: 0, hue: 0, look: 0, amount: 0 };
}

export function malformed(message: string): WireError {
  return new WireError('malformed', message);
}

type RecordReader = (r: ByteReader, lastId: number) => Row;

export function readFish(r: ByteReader, lastId: number): Row {
  const f = row();
  f.id = (lastId + readZz(r)) | 0;
  f.x = readU16(r);
  f.y = readU16(r);
  f.vx = readZz(r);
  f.vy = readZz(r);
  f.size = readU8(r);
  f.ratio = readRatio(r);
  readFishLook(r, f);
  return f;
}

function readFishLook(r: ByteReader, f: Row): void {
  f.hue = readU8(r);
  f.look = readU8(r);
  if (f.look > 15) throw malformed('fish look byte out of range');
  f.amount = f.look >> 2 !== 0 ? readZz(r) : 0;
}

function readRatio(r: ByteReader): number {
  const v = readU8(r);
  if (v > RATIO_SCALE) throw malformed('ratio above 100 %');
  return v;
}

export function readFood(r: ByteReader, lastId: number): Row {
  const f = row();
  f.id = (lastId + readZz(r)) | 0;
  f.x = readU16(r);
  f.y = readU16(r);
  f.vx = readZz(r);
  f.vy = readZz(r);
  f.ratio = readRatio(r);
  f.look = readU8(r);
  return f;
}

export function readPlant(r: ByteReader, lastId: number): Row {
  const p = row();
  p.id = (lastId + readZz(r)) | 0;
  p.x = readU16(r);
  p.y = readU16(r);
  p.size = readU8(r);
  return p;
}

/** `count` records into `into`, refusing an id already there. */
function readRecords(r: ByteReader, read: RecordReader, ids: Set<number>, into: Row[]): void {
  const count = readUv(r);
  for (let n = 0, id = 0; n < count; n++) {
    const e = read(r, id);
    id = e.id;
    if (ids.has(id)) throw malformed(`entity ${id} listed twice`);
    ids.add(id);
    into.push(e);
  }
}

export function readList(r: ByteReader, read: RecordReader): Row[] {
  const rows: Row[] = [];
  readRecords(r, read, new Set(), rows);
  return rows;
}

/** Removed ids and added records of one list; returns survivors (old order) then additions. */
export function readListChanges(
  r: ByteReader,
  rows: Row[],
  read: RecordReader,
): { list: Row[]; survivors: number } {
  const ids = new Set<number>();
  for (const e of rows) ids.add(e.id);
  const removed = readUv(r);
  for (let n = 0, id = 0; n < removed; n++) {
    id = (id + readZz(r)) | 0;
    if (!ids.delete(id)) throw malformed(`removed entity ${id} is not there`);
  }
  const list = removed === 0 ? rows.slice() : rows.filter((e) => ids.has(e.id));
  const survivors = list.length;
  readRecords(r, read, ids, list);
  return { list, survivors };
}

export function move(r: ByteReader, e: Row, k: number, ticks: number): void {
  const x = predict(e.x, e.vx, ticks) + unzigzag(readRice(r, k));
  const y = predict(e.y, e.vy, ticks) + unzigzag(readRice(r, k));
  if (x < 0 || x > POSITION_MAX || y < 0 || y > POSITION_MAX) throw malformed('position out of range');
  e.vx = velocityAfter(x - e.x, ticks, e.vx);
  e.vy = velocityAfter(y - e.y, ticks, e.vy);
  e.x = x;
  e.y = y;
}

/** Reads `uv count` change entries over the first `survivors` rows of `list`. */
export function readChanges(
  r: ByteReader,
  list: Row[],
  survivors: number,
  flagBits: number,
  apply: (r: ByteReader, e: Row, flags: number) => void,
): void {
  const count = readUv(r);
  for (let n = 0, j = -1; n < count; n++) {
    const entry = readUv(r);
    j += (entry >>> flagBits) + 1;
    const flags = entry & ((1 << flagBits) - 1);
    if (j >= survivors || flags === 0) throw malformed('change entry out of range');
    apply(r, list[j], flags);
  }
}

export function applyFishChange(r: ByteReader, e: Row, flags: number): void {
  if (flags & FishChange.size) e.size = readU8(r);
  if (flags & FishChange.energy) e.ratio = readRatio(r);
  if (flags & FishChange.look) readFishLook(r, e);
}

export function applyFoodChange(r: ByteReader, e: Row, flags: number): void {
  if (flags & FoodChange.remaining) e.ratio = readRatio(r);
  if (flags & FoodChange.type) e.look = readU8(r);
}

export function applyPlantChange(r: ByteReader, e: Row, flags: number): void {
  if (flags & PlantChange.look) e.size = readU8(r);
  if (flags & PlantChange.position) {
    e.x = readU16(r);
    e.y = readU16(r);
  }
}

export function readStats(r: ByteReader): TankStats {
  const stats = {} as TankStats;
  for (const key of STATS_KEYS) stats[key] = readUv(r);
  return stats;
}
