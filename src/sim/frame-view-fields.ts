/**
 * @module
 * The fields of a frame view: read-only, zero-copy access to the world's struct-of-arrays for the
 * binary wire codec. The type lives apart from `frameView` (`frame-view.ts`) so that the world,
 * which caches a view, depends on no code that reads the world.
 *
 * The arrays are the world's own storage, sized to capacity and never reallocated; only the
 * first `fishCount` / `foodCount` / `plantCount` entries are live, and their order changes when
 * entities die (swap-remove), so identify entities by id, not by index. Positions are centres
 * in pixels. Values are valid until the next `step` or entity call; never write to them.
 *
 * | field | type | per | meaning |
 * |---|---|---|---|
 * | `frame` | number | world | frame number |
 * | `dayPhase` | number | world | 0 (midnight) … 0.5 (noon) … 1 |
 * | `fishId` | Int32Array | fish | local id |
 * | `fishX`, `fishY` | Float64Array | fish | centre (px) |
 * | `fishVx`, `fishVy` | Float64Array | fish | velocity (px/frame) |
 * | `fishSize` | Float64Array | fish | current body size (0.35–1.3, grows while a baby) |
 * | `fishHue` | Float64Array | fish | colour hue 0–1 |
 * | `fishPattern` | Float64Array | fish | pattern type, an integer 0–3 |
 * | `fishEnergy`, `fishMaxEnergy` | Float64Array | fish | energy ratio = `fishEnergy[i] / fishMaxEnergy[i]` |
 * | `fishPokerEffect` | Uint8Array | fish | 0 none, 1 won, 2 lost, 3 tie |
 * | `fishPokerEffectFrames` | Uint8Array | fish | frames the effect stays visible (0–15) |
 * | `fishPokerEffectAmount` | Float64Array | fish | energy won or lost |
 * | `foodId` | Int32Array | food | local id |
 * | `foodX`, `foodY` | Float64Array | food | centre (px) |
 * | `foodType` | Uint8Array | food | 0 algae, 1 protein, 2 vitamin, 3 energy, 4 rare, 5 live, 6 nectar |
 * | `foodEnergy`, `foodMaxEnergy` | Float64Array | food | remaining share (items shrink as eaten) |
 * | `plantId` | Int32Array | plant | local id |
 * | `plantX`, `plantY` | Float64Array | plant | root position (px) |
 * | `plantSize` | Float64Array | plant | 0.3–1.0 |
 * | `plantNectarReady` | Uint8Array | plant | 1 while its nectar hangs on it |
 * | `crabId`, `crabX`, `crabY` | number | world | the crab |
 */

export interface FrameView {
  frame: number;
  dayPhase: number;
  fishCount: number;
  readonly fishId: Int32Array;
  readonly fishX: Float64Array;
  readonly fishY: Float64Array;
  readonly fishVx: Float64Array;
  readonly fishVy: Float64Array;
  readonly fishSize: Float64Array;
  readonly fishHue: Float64Array;
  readonly fishPattern: Float64Array;
  readonly fishEnergy: Float64Array;
  readonly fishMaxEnergy: Float64Array;
  readonly fishPokerEffect: Uint8Array;
  readonly fishPokerEffectFrames: Uint8Array;
  readonly fishPokerEffectAmount: Float64Array;
  foodCount: number;
  readonly foodId: Int32Array;
  readonly foodX: Float64Array;
  readonly foodY: Float64Array;
  readonly foodType: Uint8Array;
  readonly foodEnergy: Float64Array;
  readonly foodMaxEnergy: Float64Array;
  plantCount: number;
  readonly plantId: Int32Array;
  readonly plantX: Float64Array;
  readonly plantY: Float64Array;
  readonly plantSize: Float64Array;
  readonly plantNectarReady: Uint8Array;
  readonly crabId: number;
  crabX: number;
  crabY: number;
}
