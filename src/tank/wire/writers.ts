/**
 * @module
 * The encoder's byte writers: keyframe records (also used for additions), removed-id lists and
 * attribute changes, each reading the quantised tables of `state.ts`.
 */
import { FishChange, FoodChange, PlantChange } from './format.ts';
import type { FISH_KEYS, FOOD_KEYS, PLANT_KEYS, Track } from './state.ts';
import type { Table } from './table.ts';
import { type ByteWriter, writeU8, writeU16, writeUv, writeZz } from './varint.ts';

type Fish = Table<(typeof FISH_KEYS)[number]>;
type Food = Table<(typeof FOOD_KEYS)[number]>;
type Plants = Table<(typeof PLANT_KEYS)[number]>;

type RecordWriter<K extends string> = (w: ByteWriter, t: Table<K>, j: number, lastId: number) => number;

export function writeFishRecord(w: ByteWriter, t: Fish, j: number, lastId: number): number {
  const id = t.id[j];
  writeZz(w, (id - lastId) | 0);
  writeU16(w, t.x[j]);
  writeU16(w, t.y[j]);
  writeZz(w, t.vx[j]);
  writeZz(w, t.vy[j]);
  writeU8(w, t.size[j]);
  writeU8(w, t.energy[j]);
  writeFishLook(w, t, j);
  return id;
}

function writeFishLook(w: ByteWriter, t: Fish, j: number): void {
  writeU8(w, t.hue[j]);
  writeU8(w, t.look[j]);
  if (t.look[j] >> 2 !== 0) writeZz(w, t.amount[j]);
}

export function writeFoodRecord(w: ByteWriter, t: Food, j: number, lastId: number): number {
  const id = t.id[j];
  writeZz(w, (id - lastId) | 0);
  writeU16(w, t.x[j]);
  writeU16(w, t.y[j]);
  writeZz(w, t.vx[j]);
  writeZz(w, t.vy[j]);
  writeU8(w, t.remaining[j]);
  writeU8(w, t.type[j]);
  return id;
}

export function writePlantRecord(w: ByteWriter, t: Plants, j: number, lastId: number): number {
  const id = t.id[j];
  writeZz(w, (id - lastId) | 0);
  writeU16(w, t.x[j]);
  writeU16(w, t.y[j]);
  writeU8(w, t.look[j]);
  return id;
}

/** Removed ids, then added records, of one list. */
export function writeListChanges<K extends string>(
  w: ByteWriter,
  t: Track<K | 'id'>,
  record: RecordWriter<K | 'id'>,
): void {
  writeUv(w, t.removedCount);
  for (let r = 0, id = 0; r < t.removedCount; r++) {
    const gone = t.prev.id[t.removed[r]];
    writeZz(w, (gone - id) | 0);
    id = gone;
  }
  writeUv(w, t.next.count - t.survivors);
  for (let j = t.survivors, id = 0; j < t.next.count; j++) id = record(w, t.next, j, id);
}

/** Attribute changes of survivors: `uv count`, then each changed row's gap, flags and values. */
export function writeChanges<K extends string>(
  w: ByteWriter,
  t: Track<K>,
  flagBits: number,
  values: (w: ByteWriter, t: Table<K>, j: number, flags: number) => void,
): void {
  const { flags, survivors } = t;
  writeUv(w, t.changes);
  for (let j = 0, last = -1; j < survivors; j++) {
    const f = flags[j];
    if (f === 0) continue;
    writeUv(w, ((j - last - 1) << flagBits) | f);
    last = j;
    values(w, t.next, j, f);
  }
}

export function fishValues(w: ByteWriter, n: Fish, j: number, flags: number): void {
  if (flags & FishChange.size) writeU8(w, n.size[j]);
  if (flags & FishChange.energy) writeU8(w, n.energy[j]);
  if (flags & FishChange.look) writeFishLook(w, n, j);
}

export function foodValues(w: ByteWriter, n: Food, j: number, flags: number): void {
  if (flags & FoodChange.remaining) writeU8(w, n.remaining[j]);
  if (flags & FoodChange.type) writeU8(w, n.type[j]);
}

export function plantValues(w: ByteWriter, n: Plants, j: number, flags: number): void {
  if (flags & PlantChange.look) writeU8(w, n.look[j]);
  if (flags & PlantChange.position) {
    writeU16(w, n.x[j]);
    writeU16(w, n.y[j]);
  }
}
