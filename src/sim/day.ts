/**
 * @module
 * Day and night (C.11): a 1800-frame cycle that scales metabolism and plant growth, how far fish
 * see food, and how much of the dropped food is live.
 */
import { DAY_LENGTH } from './constants.ts';
import { clamp } from './math.ts';

export const TimeOfDay = { night: 'night', dawn: 'dawn', day: 'day', dusk: 'dusk' } as const;
export type TimeOfDay = (typeof TimeOfDay)[keyof typeof TimeOfDay];

/** Everything the tick needs about the time of day; one object per world, updated in place. */
export interface DayState {
  /** Position in the cycle, 0 (midnight) to 1; noon is 0.5. */
  phase: number;
  label: TimeOfDay;
  /** Scales metabolism and plant growth: 0.5 at night up to 1.0 at noon. */
  activity: number;
  /** Scales food-detection range: 0.25 at night, 0.75 at dawn and dusk, 1 by day. */
  detection: number;
  /** Share of auto-spawned food that is live food. */
  liveShare: number;
}

export function createDayState(): DayState {
  return { phase: 0, label: TimeOfDay.night, activity: 0.5, detection: 0.25, liveShare: 0.64 };
}

/** Sets `day` for `frame`. */
export function updateDay(day: DayState, frame: number): void {
  const t = (frame % DAY_LENGTH) / DAY_LENGTH;
  day.phase = t;
  const a = 0.75 + 0.25 * Math.sin(2 * Math.PI * (t - 0.25));
  day.activity = clamp(a, 0.5, 1);
  if (t < 0.15 || t > 0.85) {
    day.label = TimeOfDay.night;
    day.detection = 0.25;
    day.liveShare = 0.64;
  } else if (t < 0.35 || t > 0.65) {
    day.label = t < 0.5 ? TimeOfDay.dawn : TimeOfDay.dusk;
    day.detection = 0.75;
    day.liveShare = 0.88;
  } else {
    day.label = TimeOfDay.day;
    day.detection = 1;
    day.liveShare = 0.36;
  }
}
