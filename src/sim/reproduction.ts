/**
 * @module
 * Births (C.7): budding when an adult is well fed, mating and pregnancy when two compatible
 * adults meet, and the post-poker birth. Every birth respects the tank's population cap and
 * moves energy from parents to child without creating any.
 */
import {
  ADULT_END,
  BIRTH_SHARE,
  BUD_CHANCE,
  BUD_COOLDOWN,
  BUD_SHARE,
  JUVENILE_END,
  MATING_COOLDOWN,
  MATING_COST,
  MATING_MIN_ENERGY,
  POKER_BIRTH_COOLDOWN,
  POKER_BIRTH_MIN_ENERGY,
  POKER_BIRTH_SHARE,
  PREGNANCY,
  TOP_MARGIN,
} from './constants.ts';
import { type BirthMode, BirthMode as Mode } from './events.ts';
import { addFishSlot, deriveFromGenes } from './fish-store.ts';
import { copyGenes, GENE, type Mutation, mixGenes } from './genome.ts';
import { growFish } from './growth.ts';
import { clamp } from './math.ts';
import { random, uniform } from './rng.ts';
import type { World } from './world.ts';

/** Mutation rises when the population is small (C.7 "population stress"). */
function mutation(world: World): Mutation {
  const n = world.fish.count;
  const stress = n < 15 ? (1 - n / 15) * 0.8 : 0;
  return { rate: Math.min(0.4, 0.1 * (1 + 2 * stress)), strength: Math.min(0.25, 0.1 * (1 + 1.5 * stress)) };
}

/** Post-poker births use the original's fixed rate and strength. */
const POKER_MUTATION: Mutation = { rate: 0.1, strength: 0.1 };

export function newUid(world: World): string {
  return `${world.uidPrefix}.${(world.nextUid++).toString(36)}`;
}

/**
 * Records that `uid` was handed out by this tank, so `newUid` never hands it out again: a world
 * restored from an older snapshot has its uid counter back where the snapshot was, while a fish
 * born after it may live on in another tank (it left by transfer).
 */
export function claimUid(world: World, uid: string): void {
  const prefix = `${world.uidPrefix}.`;
  if (!uid.startsWith(prefix)) return;
  const n = Number.parseInt(uid.slice(prefix.length), 36);
  if (Number.isSafeInteger(n) && n >= world.nextUid) world.nextUid = n + 1;
}

/** Claims a slot for a newborn (genes still to be written), or -1 when the tank is full. */
export function claimFish(world: World): number {
  if (world.fish.count + world.heldSlots >= world.maxFish) return -1;
  return addFishSlot(world.fish, world.nextId++, newUid(world));
}

/** Places a fish whose genes are written: position, energy, generation, derived fields. */
export function initFish(
  world: World,
  i: number,
  x: number,
  y: number,
  energy: number,
  generation: number,
): void {
  const f = world.fish;
  f.x[i] = clamp(x, 25, world.width - 25);
  f.y[i] = clamp(y, TOP_MARGIN + 25, world.height - 25);
  f.generation[i] = generation;
  deriveFromGenes(f, i);
  f.energy[i] = Math.min(energy, f.maxEnergy[i]);
  growFish(f, i);
}

/**
 * Counts a birth and reports it in this tick's events. The child joins the family of `carrier`
 * (the parent that bore it: the budding fish, the mother, the poker winner) with that parent as
 * its parent; without one (a spawned fish) it founds its own lineage.
 */
export function recordBirth(world: World, i: number, mode: BirthMode, parents: string[], carrier = -1): void {
  const f = world.fish;
  const c = world.counters;
  const generation = f.generation[i];
  if (carrier >= 0) {
    f.lineage[i] = f.lineage[carrier];
    f.parent[i] = f.uid[carrier];
  }
  c.births[mode]++;
  if (generation > c.maxGeneration) c.maxGeneration = generation;
  world.events.births.push({
    id: f.id[i],
    uid: f.uid[i],
    mode,
    generation,
    parents,
    lineage_id: f.lineage[i],
  });
}

function finishBirth(
  world: World,
  i: number,
  mode: BirthMode,
  x: number,
  y: number,
  energy: number,
  generation: number,
  parents: string[],
  carrier: number,
): void {
  initFish(world, i, x, y, energy, generation);
  recordBirth(world, i, mode, parents, carrier);
}

function isAdult(world: World, i: number): boolean {
  const age = world.fish.age[i];
  return age >= JUVENILE_END && age < ADULT_END;
}

/**
 * Called each frame for fish at or above BUD_MIN_RATIO of their energy: a rested adult may bud a
 * clone (with mutations), more often the more fertile it is.
 */
export function maybeBud(world: World, i: number): void {
  const f = world.fish;
  if (f.mateCooldown[i] > 0 || f.pregnancy[i] > 0 || !isAdult(world, i)) return;
  if (random(world.rng) >= BUD_CHANCE * f.genes[GENE.fertility][i]) return;
  const d = claimFish(world);
  if (d < 0) return;
  mixGenes(world.rng, f.genes, i, i, 1, mutation(world), f.genes, d);
  const share = f.energy[i] * BUD_SHARE;
  f.energy[i] -= share;
  f.mateCooldown[i] = BUD_COOLDOWN;
  f.offspring[i]++;
  const x = f.x[i] + uniform(world.rng, -30, 30);
  const y = f.y[i] + uniform(world.rng, -30, 30);
  finishBirth(world, d, Mode.asexual, x, y, share, f.generation[i] + 1, [f.uid[i]], i);
  refund(world, i, d, share);
}

/** A child can hold less than it was given (small max energy): give the rest back. */
function refund(world: World, parent: number, child: number, given: number): void {
  const f = world.fish;
  f.energy[parent] += given - f.energy[child];
}

/** Adult, fed enough, rested and not already pregnant. */
export function canMate(world: World, i: number): boolean {
  const f = world.fish;
  return (
    isAdult(world, i) && f.energy[i] >= MATING_MIN_ENERGY && f.mateCooldown[i] === 0 && f.pregnancy[i] === 0
  );
}

/** Similar size and colour make a pair compatible (0–1). */
function compatibility(world: World, a: number, b: number): number {
  const g = world.fish.genes;
  const size = Math.abs(g[GENE.size][a] - g[GENE.size][b]) / 0.6;
  let hue = Math.abs(g[GENE.hue][a] - g[GENE.hue][b]);
  if (hue > 0.5) hue = 1 - hue;
  return 1 - 0.5 * size - hue;
}

/**
 * Two eligible fish (see {@link canMate}) within mating range: if they accept, the richer one conceives. The
 * child's genome is fixed now and carried until birth, so the father may die meanwhile.
 */
export function tryMate(world: World, a: number, b: number): boolean {
  const f = world.fish;
  const ratioB = f.energy[b] / f.maxEnergy[b];
  const accept = Math.max(0.3, Math.min(1, compatibility(world, a, b) + 0.2 * ratioB));
  const fertility = 0.5 * (f.genes[GENE.fertility][a] + f.genes[GENE.fertility][b]);
  if (random(world.rng) >= accept * Math.min(1, fertility)) return false;
  const mother = f.energy[a] >= f.energy[b] ? a : b;
  const father = mother === a ? b : a;
  mixGenes(world.rng, f.genes, mother, father, 0.5, mutation(world), f.embryo, mother);
  f.embryoGeneration[mother] = Math.max(f.generation[a], f.generation[b]) + 1;
  f.pregnancy[mother] = PREGNANCY;
  f.energy[mother] -= MATING_COST;
  f.mateCooldown[a] = MATING_COOLDOWN;
  f.mateCooldown[b] = MATING_COOLDOWN;
  return true;
}

/** End of pregnancy: the child gets 30 % of the mother's energy, if there is room for it. */
export function deliver(world: World, mother: number): void {
  const d = claimFish(world);
  if (d < 0) return;
  const f = world.fish;
  copyGenes(f.embryo, mother, f.genes, d);
  const share = f.energy[mother] * BIRTH_SHARE;
  f.energy[mother] -= share;
  f.offspring[mother]++;
  const x = f.x[mother] + uniform(world.rng, -30, 30);
  const y = f.y[mother] + uniform(world.rng, -30, 30);
  finishBirth(world, d, Mode.sexual, x, y, share, f.embryoGeneration[mother], [f.uid[mother]], mother);
  refund(world, mother, d, share);
}

function fitness(world: World, i: number): number {
  const f = world.fish;
  return 0.01 * f.age[i] + 0.5 * f.bites[i] + 50 * f.offspring[i];
}

/** Does fish `i` agree to breed with opponent `o` after a hand? (C.7, post-poker) */
function agrees(world: World, i: number, o: number, base: number, loser: boolean): boolean {
  const f = world.fish;
  if (f.energy[i] < POKER_BIRTH_MIN_ENERGY || f.pregnancy[i] > 0 || f.mateCooldown[i] > 0) return false;
  if (f.age[i] < JUVENILE_END) return false;
  const factor =
    0.3 * Math.min(fitness(world, o) / 100, 1) +
    0.2 * (f.energy[o] / f.maxEnergy[o]) +
    0.3 * compatibility(world, i, o) +
    (loser ? 0.2 : 0);
  return random(world.rng) < base * (0.5 + factor);
}

/** After a hand with a winner, both fish may agree to an immediate child (60 % winner's genes). */
export function tryPokerBirth(world: World, winner: number, loser: number): void {
  if (!agrees(world, winner, loser, 0.4, false) || !agrees(world, loser, winner, 0.2, true)) return;
  const d = claimFish(world);
  if (d < 0) return;
  const f = world.fish;
  mixGenes(world.rng, f.genes, winner, loser, 0.6, POKER_MUTATION, f.genes, d);
  const fromWinner = f.energy[winner] * POKER_BIRTH_SHARE;
  const fromLoser = f.energy[loser] * POKER_BIRTH_SHARE;
  f.energy[winner] -= fromWinner;
  f.energy[loser] -= fromLoser;
  f.mateCooldown[winner] = POKER_BIRTH_COOLDOWN;
  f.mateCooldown[loser] = POKER_BIRTH_COOLDOWN;
  f.offspring[winner]++;
  f.offspring[loser]++;
  const x = 0.5 * (f.x[winner] + f.x[loser]) + uniform(world.rng, -20, 20);
  const y = 0.5 * (f.y[winner] + f.y[loser]) + uniform(world.rng, -20, 20);
  const generation = Math.max(f.generation[winner], f.generation[loser]) + 1;
  const given = fromWinner + fromLoser;
  finishBirth(world, d, Mode.poker, x, y, given, generation, [f.uid[winner], f.uid[loser]], winner);
  // Any excess the child cannot hold goes back to the parents in proportion.
  const excess = given - f.energy[d];
  f.energy[winner] += (excess * fromWinner) / given;
  f.energy[loser] += (excess * fromLoser) / given;
}
