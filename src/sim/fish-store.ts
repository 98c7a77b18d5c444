/**
 * @module
 * Fish as struct-of-arrays: one typed array per field, sized to the tank's population cap and
 * never reallocated, so the hot loop reads flat memory and deaths are a swap with the last fish.
 */

import { type ColumnGroups, clearRow, copyRow, createColumns } from './columns.ts';
import { ENERGY_BASE, LIFESPAN_BASE } from './constants.ts';
import { GENE, GENE_COUNT, type GeneColumns } from './genome.ts';

/** Short-lived visual effect after a poker hand (C.9: shown for 15 frames). */
export const PokerEffect = { none: 0, won: 1, lost: 2, tie: 3 } as const;
export type PokerEffect = (typeof PokerEffect)[keyof typeof PokerEffect];

export interface FishStore {
  count: number;
  readonly capacity: number;
  /** Global ids, parallel to the columns (with `lineage` and `parent`, the non-typed columns). */
  readonly uid: string[];
  /** The founder's uid of each fish's family: kept across births, moves and snapshots. */
  readonly lineage: string[];
  /** The uid of the parent that carried each fish; null for a founder. */
  readonly parent: (string | null)[];
  readonly id: Int32Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly energy: Float64Array;
  /** Derived from the genome; cached because the hot loop needs it every frame. */
  readonly maxEnergy: Float64Array;
  readonly age: Int32Array;
  /** Derived from the genome. */
  readonly maxAge: Int32Array;
  readonly generation: Int32Array;
  /** Current body size: genome size × growth (0.5 → 1 during the baby stage). */
  readonly size: Float64Array;
  /** Movement and turn cost factors for the current size (size^1.2, size^1.5), cached. */
  readonly moveCost: Float64Array;
  readonly turnCost: Float64Array;
  readonly wanderX: Float64Array;
  readonly wanderY: Float64Array;
  readonly wanderTimer: Int32Array;
  readonly mateCooldown: Int32Array;
  readonly pokerCooldown: Int32Array;
  /** Frames of pregnancy left (0 = not pregnant); the embryo's genes wait in `embryo`. */
  readonly pregnancy: Int32Array;
  readonly embryoGeneration: Int32Array;
  /** Frames left during which a starvation death is blamed on the crab. */
  readonly crabScare: Int32Array;
  /** Bites of food taken (feeds the fitness score used in post-poker mate choice). */
  readonly bites: Int32Array;
  readonly offspring: Int32Array;
  readonly pokerGames: Int32Array;
  readonly pokerWins: Int32Array;
  readonly pokerLosses: Int32Array;
  readonly pokerTies: Int32Array;
  readonly pokerNet: Float64Array;
  /** The button alternates per fish from hand to hand, as in the original. */
  readonly pokerButton: Uint8Array;
  readonly pokerEffect: Uint8Array;
  readonly pokerEffectFrames: Uint8Array;
  readonly pokerEffectAmount: Float64Array;
  /** Per-tick neighbour sums, rebuilt before the fish update each tick (never carried over). */
  readonly pushX: Float64Array;
  readonly pushY: Float64Array;
  readonly flockX: Float64Array;
  readonly flockY: Float64Array;
  /** Per-tick flags for the pair pass: READY_POKER, READY_MATE. */
  readonly ready: Uint8Array;
  readonly genes: GeneColumns;
  readonly embryo: GeneColumns;
  /** Every column above, grouped by type, for swap-remove. */
  readonly columns: ColumnGroups;
}

export function createFishStore(capacity: number): FishStore {
  const c = createColumns(capacity, {
    f64: [
      'x',
      'y',
      'vx',
      'vy',
      'energy',
      'maxEnergy',
      'size',
      'moveCost',
      'turnCost',
      'pushX',
      'pushY',
      'flockX',
      'flockY',
      'wanderX',
      'wanderY',
      'pokerNet',
      'pokerEffectAmount',
    ],
    i32: [
      'id',
      'age',
      'maxAge',
      'generation',
      'wanderTimer',
      'mateCooldown',
      'pokerCooldown',
      'pregnancy',
      'embryoGeneration',
      'crabScare',
      'bites',
      'offspring',
      'pokerGames',
      'pokerWins',
      'pokerLosses',
      'pokerTies',
    ],
    u8: ['ready', 'pokerButton', 'pokerEffect', 'pokerEffectFrames'],
    extraF64: 2 * GENE_COUNT,
  });
  const { extra, all, ...named } = c;
  return {
    ...named,
    count: 0,
    capacity,
    uid: [],
    lineage: [],
    parent: [],
    genes: extra.slice(0, GENE_COUNT),
    embryo: extra.slice(GENE_COUNT),
    columns: all,
  };
}

/**
 * Claims the next slot with every column zeroed; the caller fills it in. The fish starts as its
 * own founder; a birth or an arriving payload sets its lineage after.
 */
export function addFishSlot(store: FishStore, id: number, uid: string): number {
  const i = store.count++;
  clearRow(store.columns, i);
  store.id[i] = id;
  store.uid[i] = uid;
  store.lineage[i] = uid;
  store.parent[i] = null;
  return i;
}

/** Removes fish `i` by moving the last fish into its slot (order changes, nothing shifts). */
export function removeFishAt(store: FishStore, i: number): void {
  const last = --store.count;
  if (i !== last) {
    copyRow(store.columns, last, i);
    store.uid[i] = store.uid[last];
    store.lineage[i] = store.lineage[last];
    store.parent[i] = store.parent[last];
  }
  store.uid.length = last;
  store.lineage.length = last;
  store.parent.length = last;
}

/** Recomputes the cached genome-derived fields (capacity, lifespan) of slot `i`. */
export function deriveFromGenes(store: FishStore, i: number): void {
  const g = store.genes[GENE.maxEnergy][i];
  store.maxEnergy[i] = ENERGY_BASE * g;
  store.maxAge[i] = Math.floor(LIFESPAN_BASE * g);
}

export function indexOfUid(store: FishStore, uid: string): number {
  return store.uid.indexOf(uid);
}
