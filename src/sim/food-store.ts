/**
 * @module
 * Food items (flakes, live food and plant nectar) as struct-of-arrays with swap-remove, like fish.
 */
import { type ColumnGroups, clearRow, copyRow, createColumns } from './columns.ts';

/** Food kinds; the numbers are what `frameView` exposes in `foodType`. */
export const FoodType = { algae: 0, protein: 1, vitamin: 2, energy: 3, rare: 4, live: 5, nectar: 6 } as const;
export type FoodType = (typeof FoodType)[keyof typeof FoodType];
export const FOOD_TYPE_NAMES = ['algae', 'protein', 'vitamin', 'energy', 'rare', 'live', 'nectar'] as const;
export type FoodTypeName = (typeof FOOD_TYPE_NAMES)[number];

/** Energy per item by type (C.2); nectar is the `PlantNectar` override. */
export const FOOD_ENERGY = [45, 75, 60, 70, 115, 110, 50] as const;
/** Flake type weights and sink multipliers, indexed like FoodType (flakes only). */
export const FLAKE_WEIGHTS = [0.35, 0.25, 0.2, 0.15, 0.05] as const;
export const FLAKE_SINK = [0.8, 1.2, 0.9, 1.0, 1.1] as const;

export interface FoodStore {
  count: number;
  readonly capacity: number;
  readonly id: Int32Array;
  readonly type: Uint8Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly energy: Float64Array;
  readonly maxEnergy: Float64Array;
  /** Index of the plant holding this nectar, -1 for other food. */
  readonly plant: Int32Array;
  /** Live food: frames until it picks a new direction. */
  readonly timer: Int32Array;
  /** Live food: frames left to live. */
  readonly life: Int32Array;
  readonly columns: ColumnGroups;
}

export function createFoodStore(capacity: number): FoodStore {
  const {
    extra: _extra,
    all,
    ...named
  } = createColumns(capacity, {
    f64: ['x', 'y', 'vx', 'vy', 'energy', 'maxEnergy'],
    i32: ['id', 'plant', 'timer', 'life'],
    u8: ['type'],
  });
  return { ...named, count: 0, capacity, columns: all };
}

/** Claims a zeroed slot for a new item, or returns -1 when the store is full. */
export function addFoodSlot(store: FoodStore, id: number, type: FoodType, x: number, y: number): number {
  if (store.count >= store.capacity) return -1;
  const k = store.count++;
  clearRow(store.columns, k);
  store.id[k] = id;
  store.type[k] = type;
  store.x[k] = x;
  store.y[k] = y;
  store.energy[k] = FOOD_ENERGY[type];
  store.maxEnergy[k] = FOOD_ENERGY[type];
  store.plant[k] = -1;
  return k;
}

export function removeFoodAt(store: FoodStore, k: number): void {
  const last = --store.count;
  if (k !== last) copyRow(store.columns, last, k);
}
