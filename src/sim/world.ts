/**
 * @module
 * A tank's world: its state and the empty shell that `createWorld` and `restore` fill. It
 * depends only on the stores it holds, so every module that reads or changes a world can
 * import its type without a loop.
 */
import { MAX_FOOD, NEIGHBOUR_RANGE } from './constants.ts';
import type { Crab } from './crab-state.ts';
import { createDayState, type DayState } from './day.ts';
import { type Counters, createCounters, createEvents, type StepEvents } from './events.ts';
import { createFishStore, type FishStore } from './fish-store.ts';
import { createFoodStore, type FoodStore } from './food-store.ts';
import type { FrameView } from './frame-view-fields.ts';
import { createGrid, type Grid } from './grid.ts';
import { createObituaries, type Obituaries } from './obituaries.ts';
import { createPlantStore, type PlantStore } from './plant-store.ts';
import { createPokerScratch, type PokerScratch } from './poker-scratch.ts';
import type { Rng } from './rng.ts';

export const MOUTH_EDGES = ['left', 'right', 'top', 'bottom'] as const;
export type MouthEdge = (typeof MOUTH_EDGES)[number];

/** One mouth: an edge and the span along it (px, from < to), named by the server (its tube). */
export interface Mouth {
  readonly id: string;
  readonly edge: MouthEdge;
  readonly from: number;
  readonly to: number;
}

/**
 * One tank's complete simulation state. Read `frame` and `seed` freely; change the world only
 * through the functions `index.ts` exports. Everything else here is internal and may change.
 */
export interface World {
  readonly seed: number;
  readonly uidPrefix: string;
  readonly width: number;
  readonly height: number;
  readonly maxFish: number;
  /**
   * Fish slots held for transfers in flight (a fish held out of this tank, or room promised to
   * an arriving one): births and spawns see the tank as full this much sooner, so a held fish
   * can always come back and a promised arrival always fits. Not part of a snapshot: the
   * server rebuilds it from its open reservations.
   */
  heldSlots: number;
  frame: number;
  readonly rng: Rng;
  /** Next local id, shared by every entity kind so ids are unique within the tank. */
  nextId: number;
  /** Next fish uid number (base 36 after the prefix). */
  nextUid: number;
  /** Frames since the last automatic food drop. */
  foodTimer: number;
  /** Total fish energy after this tick's fish update (drives the food rate). */
  fishEnergy: number;
  readonly day: DayState;
  readonly fish: FishStore;
  readonly food: FoodStore;
  readonly plants: PlantStore;
  readonly crab: Crab;
  readonly grid: Grid;
  readonly counters: Counters;
  /** The most recent deaths by uid (`obituaries.ts`); saved in snapshots, rolled back with them. */
  readonly obituaries: Obituaries;
  readonly events: StepEvents;
  readonly poker: PokerScratch;
  /** Tube mouths the server opened (`mouths.ts`); not part of a snapshot. */
  mouths: Mouth[];
  /** The cached frame view, made on first use. */
  view: FrameView | null;
}

export interface CreateWorldOptions {
  /** Any safe non-negative integer; the same seed gives the same tank, frame for frame. */
  seed: number;
  /** Prefix of every fish uid born here: letters, digits, `_` or `-` (no dots), 1–64 long. */
  uidPrefix: string;
  maxFish?: number;
  initialFish?: number;
  width?: number;
  height?: number;
}

export const UID_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Room for fish beyond `maxFish`, used only when fish that are already a tank's come back onto
 * an older snapshot (a transfer journal replayed after a restart, while fish that died since
 * the snapshot are alive again in it): they are never turned away. Births and arrivals still
 * stop at `maxFish`.
 */
export const FISH_HEADROOM = 16;

/** Builds the empty world (no entities) that `createWorld` and `restore` fill. */
export function emptyWorld(o: Required<CreateWorldOptions>, rng: Rng, crab: Crab): World {
  return {
    seed: o.seed,
    uidPrefix: o.uidPrefix,
    width: o.width,
    height: o.height,
    maxFish: o.maxFish,
    heldSlots: 0,
    frame: 0,
    rng,
    nextId: crab.id + 1,
    nextUid: 1,
    foodTimer: 0,
    fishEnergy: 0,
    day: createDayState(),
    fish: createFishStore(o.maxFish + FISH_HEADROOM),
    food: createFoodStore(MAX_FOOD),
    plants: createPlantStore(),
    crab,
    grid: createGrid({
      width: o.width,
      height: o.height,
      cellSize: NEIGHBOUR_RANGE,
      capacity: o.maxFish + FISH_HEADROOM,
    }),
    counters: createCounters(),
    obituaries: createObituaries(),
    events: createEvents(),
    poker: createPokerScratch(),
    mouths: [],
    view: null,
  };
}
