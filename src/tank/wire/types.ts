/**
 * @module
 * What a viewer gets from a frame: plain objects in pixels, the same shape from the binary
 * decoder and from the JSON frames.
 */
import type { TankStats } from './format.ts';

export interface FishState {
  id: number;
  /** Centre, px. */
  x: number;
  y: number;
  /**
   * Velocity in px per tick (1/30 s): the sim's own in keyframes and for new fish, otherwise the
   * last displacement over the ticks it took, which is what a viewer extrapolates with.
   */
  vx: number;
  vy: number;
  size: number;
  /** Colour hue 0–1. */
  hue: number;
  /** Pattern type 0–3. */
  pattern: number;
  /** Energy / max energy, 0–1. */
  energy: number;
  /** 0 none, 1 won, 2 lost, 3 tie (the sim's `PokerEffect`). */
  pokerEffect: number;
  /** Energy won or lost in that hand, rounded; 0 without an effect. */
  pokerAmount: number;
}

export interface FoodState {
  id: number;
  x: number;
  y: number;
  /** The sim's `FoodType` number (0 algae … 6 nectar). */
  type: number;
  /** Share of the item left, 0–1. */
  remaining: number;
}

export interface PlantState {
  id: number;
  /** Root position, px. */
  x: number;
  y: number;
  size: number;
  nectar: boolean;
}

export interface CrabState {
  x: number;
  y: number;
}

/** One frame of a tank. Every decoded frame is a fresh object the caller may keep. */
export interface TankFrame {
  frame: number;
  /** 0 (midnight) … 0.5 (noon) … 1. */
  dayPhase: number;
  fish: FishState[];
  food: FoodState[];
  plants: PlantState[];
  crab: CrabState;
  /** The last stats the tank sent, or null before any. */
  stats: TankStats | null;
}
