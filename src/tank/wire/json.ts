/**
 * @module
 * Frames as JSON for `?format=json` viewers and for people reading them: the decoder's
 * `TankFrame` shape, straight from the world in pixels, rounded to what a screen can show.
 */
import type { FrameView } from '../../sim/index.ts';
import type { EncodeOptions } from './encoder.ts';
import type { TankFrame } from './types.ts';

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const ratio = (part: number, whole: number): number => (whole > 0 ? round(part / whole, 2) : 0);

/**
 * The frame `view` shows, as a JSON string: positions to 0.1 px, velocities (px per tick) and
 * shares to 0.01. Always the full state; JSON viewers get no deltas.
 *
 * @example
 * ```ts
 * const text = encodeJsonFrame(frameView(world));
 * const tank: TankFrame = JSON.parse(text);
 * ```
 */
export function encodeJsonFrame(view: FrameView, { tankStats }: EncodeOptions = {}): string {
  const frame: TankFrame = {
    frame: view.frame,
    dayPhase: round(view.dayPhase, 4),
    fish: [],
    food: [],
    plants: [],
    crab: { x: round(view.crabX, 1), y: round(view.crabY, 1) },
    stats: tankStats ? { ...tankStats } : null,
  };
  for (let i = 0; i < view.fishCount; i++) {
    const effect = view.fishPokerEffect[i];
    frame.fish.push({
      id: view.fishId[i],
      x: round(view.fishX[i], 1),
      y: round(view.fishY[i], 1),
      vx: round(view.fishVx[i], 2),
      vy: round(view.fishVy[i], 2),
      size: round(view.fishSize[i], 2),
      hue: round(view.fishHue[i], 2),
      pattern: view.fishPattern[i],
      energy: ratio(view.fishEnergy[i], view.fishMaxEnergy[i]),
      pokerEffect: effect,
      pokerAmount: effect === 0 ? 0 : Math.round(view.fishPokerEffectAmount[i]),
    });
  }
  for (let k = 0; k < view.foodCount; k++) {
    frame.food.push({
      id: view.foodId[k],
      x: round(view.foodX[k], 1),
      y: round(view.foodY[k], 1),
      type: view.foodType[k],
      remaining: ratio(view.foodEnergy[k], view.foodMaxEnergy[k]),
    });
  }
  for (let p = 0; p < view.plantCount; p++) {
    frame.plants.push({
      id: view.plantId[p],
      x: round(view.plantX[p], 1),
      y: round(view.plantY[p], 1),
      size: round(view.plantSize[p], 2),
      nectar: view.plantNectarReady[p] === 1,
    });
  }
  return JSON.stringify(frame);
}
