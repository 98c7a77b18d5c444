/**
 * @module
 * Between the sim's own payload (`FishPayload`, what a world reads and writes) and the
 * migrating-fish format. Lossless both ways: a fish converted there and back is the same fish.
 */
import type { FishPayload, Genome } from '../sim/index.ts';
import { MIGRATING_FISH_FORMAT, MIGRATING_FISH_VERSION, type MigratingFish } from './schema.ts';

/** The fish as migrating-fish v1 data. */
export function toMigratingFish(p: FishPayload): MigratingFish {
  return {
    format: MIGRATING_FISH_FORMAT,
    version: MIGRATING_FISH_VERSION,
    uid: p.uid,
    lineage_id: p.lineageId,
    parent_uid: p.parentUid,
    generation: p.generation,
    genome: { ...p.genome },
    energy: p.energy,
    age: p.age,
    position: { x: p.x, y: p.y },
    velocity: { x: p.vx, y: p.vy },
    mating_cooldown: p.matingCooldown,
    poker_cooldown: p.pokerCooldown,
    pregnancy: p.pregnancy && { ...p.pregnancy, genome: { ...p.pregnancy.genome } },
    crab_scare: p.crabScare,
    wander: { ...p.wander },
    bites: p.bites,
    offspring: p.offspring,
    poker: {
      games: p.poker.games,
      wins: p.poker.wins,
      losses: p.poker.losses,
      ties: p.poker.ties,
      net: p.poker.net,
      button: p.poker.button,
      effect: p.poker.effect,
      effect_frames: p.poker.effectFrames,
      effect_amount: p.poker.effectAmount,
    },
  };
}

/** The sim payload of a parsed migrating fish (see `parseMigratingFish` for data from outside). */
export function fromMigratingFish(m: MigratingFish): FishPayload {
  return {
    kind: 'fish',
    uid: m.uid,
    lineageId: m.lineage_id,
    parentUid: m.parent_uid,
    genome: { ...m.genome } as Genome,
    x: m.position.x,
    y: m.position.y,
    vx: m.velocity.x,
    vy: m.velocity.y,
    energy: m.energy,
    age: m.age,
    generation: m.generation,
    matingCooldown: m.mating_cooldown,
    pokerCooldown: m.poker_cooldown,
    pregnancy: m.pregnancy && { ...m.pregnancy, genome: { ...m.pregnancy.genome } as Genome },
    crabScare: m.crab_scare,
    wander: { ...m.wander },
    bites: m.bites,
    offspring: m.offspring,
    poker: {
      games: m.poker.games,
      wins: m.poker.wins,
      losses: m.poker.losses,
      ties: m.poker.ties,
      net: m.poker.net,
      button: m.poker.button,
      effect: m.poker.effect,
      effectFrames: m.poker.effect_frames,
      effectAmount: m.poker.effect_amount,
    },
  };
}
