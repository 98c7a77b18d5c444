/**
 * @module
 * One fish as data leaving or entering from outside a transfer: an export reads a fish and
 * leaves it where it is; an import adds a copy under a uid born here, keeping its family.
 */
import { FISH_HALF, TOP_MARGIN } from './constants.ts';
import { type EntityPayload, type EntityRef, ensureRoom, type Position, position } from './entities.ts';
import { SimError } from './errors.ts';
import { addFishSlot, indexOfUid } from './fish-store.ts';
import { clamp } from './math.ts';
import { readFish, validateFishPayload, writeFish } from './payload.ts';
import { newUid } from './reproduction.ts';
import type { World } from './world.ts';

/** Everything of one fish (by uid, or local id), left where it is: an export. */
export function readEntity(world: World, ref: string | number): EntityPayload {
  const f = world.fish;
  const i = typeof ref === 'number' ? f.id.subarray(0, f.count).indexOf(ref) : indexOfUid(f, ref);
  if (i < 0) throw new SimError('unknown_entity', `no fish '${String(ref)}' in this tank`);
  return readFish(world, i);
}

/**
 * Adds a copy of a fish from elsewhere (an import) under a new uid born in this tank, so a fish
 * exported and imported twice never lives under one uid in two places; its lineage, parent,
 * generation and state are kept. Validates first and changes nothing when it throws.
 */
export function importEntity(world: World, payload: unknown, at: Position = {}): EntityRef {
  const p = validateFishPayload(payload);
  const pos = position(world, at);
  ensureRoom(world);
  const x = clamp(pos.x ?? p.x, FISH_HALF, world.width - FISH_HALF);
  const y = clamp(pos.y ?? p.y, TOP_MARGIN + FISH_HALF, world.height - FISH_HALF);
  const uid = newUid(world);
  const i = addFishSlot(world.fish, world.nextId++, uid);
  writeFish(world, i, { ...p, uid }, x, y);
  world.counters.transfersIn++;
  if (p.generation > world.counters.maxGeneration) world.counters.maxGeneration = p.generation;
  return { id: world.fish.id[i], uid };
}
