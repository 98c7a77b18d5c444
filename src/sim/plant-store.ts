/**
 * @module
 * Plants as struct-of-arrays, one slot per root spot. It lives apart from the plants' behaviour
 * (`plants.ts`) so that the world, which holds the store, depends on no step that grows them.
 */
import { ROOT_SPOTS } from './constants.ts';

/**
 * Plants are never removed (the original killed them only through plant poker, which this port
 * leaves out), so the store is dense and append-only: plant `p` keeps its index for life.
 */
export interface PlantStore {
  count: number;
  readonly id: Int32Array;
  readonly spot: Int32Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly energy: Float64Array;
  readonly maxEnergy: Float64Array;
  readonly rate: Float64Array;
  readonly threshold: Float64Array;
  readonly hue: Float64Array;
  /** 0.3–1.0, in proportion to energy. */
  readonly size: Float64Array;
  readonly age: Int32Array;
  readonly nectarCooldown: Int32Array;
  readonly nectarReady: Uint8Array;
  /** Plant index on each root spot, -1 when free. */
  readonly spotPlant: Int32Array;
}

export function createPlantStore(): PlantStore {
  const n = ROOT_SPOTS;
  return {
    count: 0,
    id: new Int32Array(n),
    spot: new Int32Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
    energy: new Float64Array(n),
    maxEnergy: new Float64Array(n),
    rate: new Float64Array(n),
    threshold: new Float64Array(n),
    hue: new Float64Array(n),
    size: new Float64Array(n),
    age: new Int32Array(n),
    nectarCooldown: new Int32Array(n),
    nectarReady: new Uint8Array(n),
    spotPlant: new Int32Array(n).fill(-1),
  };
}
