/**
 * @module
 * A fish as a self-contained plain object: what `extractEntity` returns, what `insertEntity`
 * accepts, and how snapshots store fish. It holds every field that shapes the fish's future, so
 * reading it back gives an identical fish; derived fields (max energy, lifespan, size) are
 * recomputed from the genome.
 */
import { checker, UID_PATTERN } from './check.ts';
import {
  CRAB_SCARE_FRAMES,
  ENERGY_BASE,
  LIFESPAN_BASE,
  POKER_EFFECT_FRAMES,
  PREGNANCY,
} from './constants.ts';
import { SimError } from './errors.ts';
import { deriveFromGenes, PokerEffect } from './fish-store.ts';
import { type Genome, readGenome, validateGenome, writeGenome } from './genome.ts';
import { growFish } from './growth.ts';
import type { World } from './world.ts';

export const POKER_EFFECT_NAMES = ['none', 'won', 'lost', 'tie'] as const;
export type PokerEffectName = (typeof POKER_EFFECT_NAMES)[number];

/**
 * The bounds `validateFishPayload` holds a payload to, for formats built on it (src/migrating):
 * energy up to `energyBase` × the maxEnergy gene, age below `lifespanBase` × that gene.
 */
export const PAYLOAD_LIMITS = {
  energyBase: ENERGY_BASE,
  lifespanBase: LIFESPAN_BASE,
  pregnancyFrames: PREGNANCY,
  crabScareFrames: CRAB_SCARE_FRAMES,
  pokerEffectFrames: POKER_EFFECT_FRAMES,
  cooldownFrames: 100_000,
  wanderFrames: 100_000,
  speed: 10,
} as const;

export interface FishPayload {
  kind: 'fish';
  uid: string;
  /** The founder's uid of its family (its own uid for a founder). */
  lineageId: string;
  /** The uid of the parent that carried it; null for a founder. */
  parentUid: string | null;
  genome: Genome;
  x: number;
  y: number;
  vx: number;
  vy: number;
  energy: number;
  /** Frames lived. */
  age: number;
  generation: number;
  matingCooldown: number;
  pokerCooldown: number;
  /** The embryo's genome and generation while pregnant. */
  pregnancy: { frames: number; generation: number; genome: Genome } | null;
  /** Frames left during which starving counts as predation. */
  crabScare: number;
  wander: { x: number; y: number; frames: number };
  bites: number;
  offspring: number;
  poker: {
    games: number;
    wins: number;
    losses: number;
    ties: number;
    net: number;
    /** Whether this fish takes the button in its next hand. */
    button: boolean;
    effect: PokerEffectName;
    effectFrames: number;
    effectAmount: number;
  };
}

/** Everything of fish `i` as a payload. */
export function readFish(world: World, i: number): FishPayload {
  const f = world.fish;
  return {
    kind: 'fish',
    uid: f.uid[i],
    lineageId: f.lineage[i],
    parentUid: f.parent[i],
    genome: readGenome(f.genes, i),
    x: f.x[i],
    y: f.y[i],
    vx: f.vx[i],
    vy: f.vy[i],
    energy: f.energy[i],
    age: f.age[i],
    generation: f.generation[i],
    matingCooldown: f.mateCooldown[i],
    pokerCooldown: f.pokerCooldown[i],
    pregnancy:
      f.pregnancy[i] > 0
        ? { frames: f.pregnancy[i], generation: f.embryoGeneration[i], genome: readGenome(f.embryo, i) }
        : null,
    crabScare: f.crabScare[i],
    wander: { x: f.wanderX[i], y: f.wanderY[i], frames: f.wanderTimer[i] },
    bites: f.bites[i],
    offspring: f.offspring[i],
    poker: {
      games: f.pokerGames[i],
      wins: f.pokerWins[i],
      losses: f.pokerLosses[i],
      ties: f.pokerTies[i],
      net: f.pokerNet[i],
      button: f.pokerButton[i] === 1,
      effect: POKER_EFFECT_NAMES[f.pokerEffect[i]],
      effectFrames: f.pokerEffectFrames[i],
      effectAmount: f.pokerEffectAmount[i],
    },
  };
}

/** Writes a validated payload into the zeroed slot `i` (uid and id are already set). */
export function writeFish(world: World, i: number, p: FishPayload, x: number, y: number): void {
  const f = world.fish;
  f.lineage[i] = p.lineageId;
  f.parent[i] = p.parentUid;
  writeGenome(p.genome, f.genes, i);
  f.x[i] = x;
  f.y[i] = y;
  f.vx[i] = p.vx;
  f.vy[i] = p.vy;
  f.energy[i] = p.energy;
  f.age[i] = p.age;
  f.generation[i] = p.generation;
  f.mateCooldown[i] = p.matingCooldown;
  f.pokerCooldown[i] = p.pokerCooldown;
  if (p.pregnancy) {
    f.pregnancy[i] = p.pregnancy.frames;
    f.embryoGeneration[i] = p.pregnancy.generation;
    writeGenome(p.pregnancy.genome, f.embryo, i);
  }
  f.crabScare[i] = p.crabScare;
  f.wanderX[i] = p.wander.x;
  f.wanderY[i] = p.wander.y;
  f.wanderTimer[i] = p.wander.frames;
  f.bites[i] = p.bites;
  f.offspring[i] = p.offspring;
  f.pokerGames[i] = p.poker.games;
  f.pokerWins[i] = p.poker.wins;
  f.pokerLosses[i] = p.poker.losses;
  f.pokerTies[i] = p.poker.ties;
  f.pokerNet[i] = p.poker.net;
  f.pokerButton[i] = p.poker.button ? 1 : 0;
  f.pokerEffect[i] = PokerEffect[p.poker.effect];
  f.pokerEffectFrames[i] = p.poker.effectFrames;
  f.pokerEffectAmount[i] = p.poker.effectAmount;
  deriveFromGenes(f, i);
  growFish(f, i);
}

/** A complete genome inside a payload; its faults are payload faults. */
function payloadGenome(value: unknown, path: string): Genome {
  try {
    return validateGenome(value) as Genome;
  } catch (err) {
    throw new SimError('invalid_payload', `${path}: ${(err as Error).message}`);
  }
}

/**
 * Checks a payload from outside and returns a clean copy holding only known fields; throws
 * `SimError('invalid_payload')` naming the bad field.
 */
export function validateFishPayload(value: unknown): FishPayload {
  const c = checker('invalid_payload');
  const p = c.obj(value, 'payload');
  c.oneOf(p.kind, 'kind', ['fish'] as const);
  const genome = payloadGenome(p.genome, 'genome');
  const maxEnergy = ENERGY_BASE * genome.maxEnergy;
  const pregnancy = p.pregnancy === null ? null : c.obj(p.pregnancy, 'pregnancy');
  const wander = c.obj(p.wander, 'wander');
  const poker = c.obj(p.poker, 'poker');
  const uid = c.str(p.uid, 'uid', UID_PATTERN);
  return {
    kind: 'fish',
    uid,
    // A payload from before lineages (an old snapshot, an older server) reads as its own founder.
    lineageId: p.lineageId === undefined ? uid : c.str(p.lineageId, 'lineageId', UID_PATTERN),
    parentUid:
      p.parentUid === undefined || p.parentUid === null ? null : c.str(p.parentUid, 'parentUid', UID_PATTERN),
    genome,
    x: c.num(p.x, 'x'),
    y: c.num(p.y, 'y'),
    vx: c.num(p.vx, 'vx', -10, 10),
    vy: c.num(p.vy, 'vy', -10, 10),
    // A payload at exactly zero energy would die on its first frame: it is not a living fish.
    energy: c.num(p.energy, 'energy', Number.MIN_VALUE, maxEnergy),
    age: c.int(p.age, 'age', 0, Math.floor(LIFESPAN_BASE * genome.maxEnergy) - 1),
    generation: c.int(p.generation, 'generation'),
    matingCooldown: c.int(p.matingCooldown, 'matingCooldown', 0, 100_000),
    pokerCooldown: c.int(p.pokerCooldown, 'pokerCooldown', 0, 100_000),
    pregnancy: pregnancy && {
      frames: c.int(pregnancy.frames, 'pregnancy.frames', 1, PREGNANCY),
      generation: c.int(pregnancy.generation, 'pregnancy.generation', 1),
      genome: payloadGenome(pregnancy.genome, 'pregnancy.genome'),
    },
    crabScare: c.int(p.crabScare, 'crabScare', 0, CRAB_SCARE_FRAMES),
    wander: {
      x: c.num(wander.x, 'wander.x', -1, 1),
      y: c.num(wander.y, 'wander.y', -1, 1),
      frames: c.int(wander.frames, 'wander.frames', -1, 100_000),
    },
    bites: c.int(p.bites, 'bites'),
    offspring: c.int(p.offspring, 'offspring'),
    poker: {
      games: c.int(poker.games, 'poker.games'),
      wins: c.int(poker.wins, 'poker.wins'),
      losses: c.int(poker.losses, 'poker.losses'),
      ties: c.int(poker.ties, 'poker.ties'),
      net: c.num(poker.net, 'poker.net'),
      button: c.bool(poker.button, 'poker.button'),
      effect: c.oneOf(poker.effect, 'poker.effect', POKER_EFFECT_NAMES),
      effectFrames: c.int(poker.effectFrames, 'poker.effectFrames', 0, POKER_EFFECT_FRAMES),
      effectAmount: c.num(poker.effectAmount, 'poker.effectAmount', 0),
    },
  };
}
