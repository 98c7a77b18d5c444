/**
 * @module
 * The fish-tank simulation: pure, deterministic, seeded, no I/O. This file is its whole public
 * surface; `src/tank` builds on it.
 *
 * @example
 * ```ts
 * import { createWorld, step, serialize, restore } from '../sim/index.ts';
 * const world = createWorld({ seed: 7, uidPrefix: 'a1' });
 * const events = step(world); // one frame (1/30 s)
 * const copy = restore(JSON.parse(JSON.stringify(serialize(world))));
 * ```
 */

export { UID_PATTERN } from './check.ts';
export { DAY_LENGTH, DEFAULT_HEIGHT, DEFAULT_WIDTH, TICKS_PER_SECOND } from './constants.ts';
export { createWorld } from './create-world.ts';
export { TimeOfDay } from './day.ts';
export {
  type EntityPayload,
  type EntityRef,
  type EntityView,
  extractEntity,
  fishIdOf,
  fishUidOf,
  holdFishSlot,
  insertEntity,
  listEntities,
  type Position,
  releaseFishSlot,
  spawnFish,
  spawnFood,
} from './entities.ts';
export { SimError, SimErrorCode } from './errors.ts';
export {
  type BirthEvent,
  BirthMode,
  DeathCause,
  type DeathEvent,
  type PokerHandEvent,
  type StepEvents,
} from './events.ts';
export { importEntity, readEntity } from './exchange.ts';
export { PokerEffect } from './fish-store.ts';
export { FOOD_TYPE_NAMES, FoodType } from './food-store.ts';
export { frameView } from './frame-view.ts';
export type { FrameView } from './frame-view-fields.ts';
export {
  GENE_DEFAULTS,
  GENE_KEYS,
  GENOME_RANGES,
  type GeneKey,
  type GeneRange,
  type Genome,
  validateGenome,
} from './genome.ts';
export {
  type Departure,
  departureChance,
  MOUTH_EDGES,
  MOUTH_REACH,
  type Mouth,
  type MouthEdge,
  setMouths,
} from './mouths.ts';
export {
  listObituaries,
  OBITUARY_CAPACITY,
  type Obituary,
  type ObituarySnapshot,
} from './obituaries.ts';
export {
  type FishPayload,
  PAYLOAD_LIMITS,
  POKER_EFFECT_NAMES,
  validateFishPayload,
} from './payload.ts';
export { HAND_NAMES } from './poker.ts';
export { claimUid } from './reproduction.ts';
export { restore, SNAPSHOT_VERSION, serialize, type WorldSnapshot } from './snapshot.ts';
export { type WorldStats, worldStats } from './stats.ts';
export { step } from './step.ts';
export type { CreateWorldOptions, World } from './world.ts';
