/**
 * @module
 * Numeric helpers shared by the simulation files.
 */

/** `v` limited to `[min, max]`. */
export function clamp(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, v));
}
