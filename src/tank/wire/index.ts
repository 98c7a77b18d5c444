/**
 * @module
 * The live-view wire codec: binary frames (keyframes and deltas of quantised, predicted
 * positions) encoded once per tank per broadcast, their decoder for browsers and tests, and
 * JSON frames for humans. This file is its whole public surface; `format.ts` documents the bytes.
 *
 * @example
 * ```ts
 * import { createFrameDecoder, createFrameEncoder } from '../tank/wire/index.ts';
 * const encoder = createFrameEncoder({ keyframeEvery: 30 });
 * const decoder = createFrameDecoder();
 * const tank = decoder.decode(encoder.encode(frameView(world)).keyframe());
 * ```
 */
export { createFrameDecoder, type FrameDecoder } from './decoder.ts';
export {
  createFrameEncoder,
  type EncodedFrame,
  type EncodeOptions,
  type FrameEncoder,
  type FrameEncoderOptions,
} from './encoder.ts';
export { WireError, WireErrorCode } from './errors.ts';
export type { TankStats } from './format.ts';
export { encodeJsonFrame } from './json.ts';
export type { CrabState, FishState, FoodState, PlantState, TankFrame } from './types.ts';
