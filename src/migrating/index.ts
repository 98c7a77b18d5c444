/**
 * @module
 * The migrating-fish format (v1): one fish as versioned data, for transfers, export and
 * import. Its schema, the conversions to and from the sim's payload, and the checked parse.
 *
 * @example
 * ```ts
 * import { parseMigratingFish, toMigratingFish } from '../migrating/index.ts';
 * const body = toMigratingFish(extractEntity(world, uid));
 * const payload = parseMigratingFish(JSON.parse(JSON.stringify(body)));
 * ```
 */
export { fromMigratingFish, toMigratingFish } from './convert.ts';
export { founderParts, LineageId, ServerLineage } from './lineage.ts';
export {
  type FieldError,
  isMigratingFish,
  type MigratingFishCode,
  MigratingFishError,
  parseArrivingFish,
  parseMigratingFish,
} from './parse.ts';
export {
  MIGRATING_FISH_FORMAT,
  MIGRATING_FISH_VERSION,
  type MigratingFish,
  MigratingGenome,
  migratingFishV1,
} from './schema.ts';
