/**
 * @module
 * The encoder's memory of what it last sent: per entity kind, growable Int32 columns of
 * quantised values in wire list order, and an id → view index lookup rebuilt every frame
 * without allocating (open addressing over typed arrays, cleared by bumping a generation).
 */

/** Quantised entities of one kind, `count` rows in the order the decoder keeps. */
export type Table<K extends string> = { count: number; capacity: number } & Record<K, Int32Array>;

export function createTable<K extends string>(keys: readonly K[], capacity = 64): Table<K> {
  const table = { count: 0, capacity } as Table<K>;
  for (const key of keys) (table as Record<K, Int32Array>)[key] = new Int32Array(capacity);
  return table;
}

/** Grows every column of `table` (whose keys are `keys`) to hold at least `n` rows. */
export function reserve<K extends string>(table: Table<K>, keys: readonly K[], n: number): void {
  if (n <= table.capacity) return;
  let capacity = table.capacity * 2;
  while (capacity < n) capacity *= 2;
  for (const key of keys) {
    const next = new Int32Array(capacity);
    next.set(table[key]);
    (table as Record<K, Int32Array>)[key] = next;
  }
  table.capacity = capacity;
}

/** Maps ids to indices for one frame; `build` replaces the previous contents. */
export interface IdIndex {
  keys: Int32Array;
  values: Int32Array;
  stamps: Uint32Array;
  generation: number;
  shift: number;
}

export function createIdIndex(): IdIndex {
  return {
    keys: new Int32Array(0),
    values: new Int32Array(0),
    stamps: new Uint32Array(0),
    generation: 0,
    shift: 32,
  };
}

/** Indexes `ids[0..count)` by id → position. */
export function buildIdIndex(index: IdIndex, ids: Int32Array, count: number): void {
  // At most half full, so probes stay short.
  if (index.keys.length < count * 2 || index.keys.length === 0) {
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    index.keys = new Int32Array(1 << bits);
    index.values = new Int32Array(1 << bits);
    index.stamps = new Uint32Array(1 << bits);
    index.generation = 0;
    index.shift = 32 - bits;
  }
  index.generation = (index.generation + 1) >>> 0;
  if (index.generation === 0) {
    index.stamps.fill(0);
    index.generation = 1;
  }
  const { keys, values, stamps, generation, shift } = index;
  const mask = keys.length - 1;
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    let h = Math.imul(id, 0x9e3779b1) >>> shift;
    while (stamps[h] === generation && keys[h] !== id) h = (h + 1) & mask;
    stamps[h] = generation;
    keys[h] = id;
    values[h] = i;
  }
}

/** Position of `id` in the last build, or -1. */
export function lookupId(index: IdIndex, id: number): number {
  const { keys, stamps, generation } = index;
  const mask = keys.length - 1;
  let h = Math.imul(id, 0x9e3779b1) >>> index.shift;
  while (stamps[h] === generation) {
    if (keys[h] === id) return index.values[h];
    h = (h + 1) & mask;
  }
  return -1;
}
