/**
 * @module
 * Heads-up Texas hold'em between two fish (C.9). Cards come from the world's seeded RNG, hands
 * are ranked by `phe`, and betting follows each fish's poker genes. The loser pays what it put
 * in; the winner gets that minus the house cut, which leaves the tank (an energy sink).
 */
import { evaluateCardCodes, handRank } from 'phe';
import {
  BABY_END,
  POKER_COOLDOWN,
  POKER_EFFECT_FRAMES,
  POKER_MAX_BLIND,
  POKER_MAX_RISK,
  POKER_MIN_ENERGY,
} from './constants.ts';
import type { PokerHandEvent } from './events.ts';
import { PokerEffect } from './fish-store.ts';
import { GENE } from './genome.ts';
import type { PokerScratch } from './poker-scratch.ts';
import { tryPokerBirth } from './reproduction.ts';
import { random, randomInt } from './rng.ts';
import type { World } from './world.ts';

/** `handRank` categories, best first. */
export const HAND_NAMES = [
  'straight_flush',
  'four_of_a_kind',
  'full_house',
  'flush',
  'straight',
  'three_of_a_kind',
  'two_pair',
  'one_pair',
  'high_card',
] as const;

/** Ready to sit down: rested, not pregnant, past babyhood, and hungry enough for its temperament. */
export function willingToPlay(world: World, i: number): boolean {
  const f = world.fish;
  const e = f.energy[i];
  return (
    f.pokerCooldown[i] === 0 &&
    f.pregnancy[i] === 0 &&
    f.age[i] >= BABY_END &&
    e >= POKER_MIN_ENERGY &&
    e < f.maxEnergy[i] * (0.5 + 0.5 * f.genes[GENE.aggression][i])
  );
}

/**
 * The most either player may put in. Besides the original's 40 %-of-energy limit, no stake may
 * exceed either player's headroom below its max energy, so a win never overflows the winner's
 * capacity and every unit of energy is accounted for (moved − cut reaches the winner).
 */
export function stakeLimit(world: World, a: number, b: number): number {
  const f = world.fish;
  const ea = f.energy[a];
  const eb = f.energy[b];
  return Math.min(POKER_MAX_RISK * ea, POKER_MAX_RISK * eb, f.maxEnergy[a] - ea, f.maxEnergy[b] - eb);
}

/** House cut on a net gain (C.9): 8 % rising with the winner's size, at most 25 %. */
export function houseCut(net: number, winnerSize: number): number {
  const rate = Math.min(0.25, 0.08 + Math.max(0, (winnerSize - 0.35) * 0.18));
  return Math.min(net, net * rate);
}

/**
 * Pre-flop strength (0–1) from the two hole cards, shaped like heads-up equity: 7-2 offsuit
 * about 0.37, ace-king about 0.62, pairs from 0.5 (deuces) up to 0.86 (aces).
 */
function preflopStrength(c1: number, c2: number): number {
  const r1 = c1 >> 2;
  const r2 = c2 >> 2;
  if (r1 === r2) return 0.5 + 0.03 * r1;
  const suited = (c1 & 3) === (c2 & 3) ? 0.03 : 0;
  const connected = Math.abs(r1 - r2) === 1 ? 0.02 : 0;
  return 0.3 + 0.014 * (r1 + r2) + suited + connected;
}

/**
 * Post-flop strength (0–1) of an evaluator value: each `handRank` category (straight flush …
 * high card) gets a band, and the value's place inside its category places it in the band. A
 * raw linear scale would put every one-pair hand below 0.55, which is not how strong a pair is
 * heads-up.
 */
const CATEGORY_BEST = [1, 11, 167, 323, 1600, 1610, 2468, 3326, 6186] as const;
const CATEGORY_WORST = [10, 166, 322, 1599, 1609, 2467, 3325, 6185, 7462] as const;
const BAND_LOW = [0.99, 0.97, 0.94, 0.91, 0.89, 0.83, 0.72, 0.38, 0.05] as const;
const BAND_HIGH = [1, 0.99, 0.97, 0.94, 0.91, 0.89, 0.83, 0.72, 0.38] as const;

function strengthOf(value: number): number {
  const c = handRank(value);
  const within = (CATEGORY_WORST[c] - value) / (CATEGORY_WORST[c] - CATEGORY_BEST[c]);
  return BAND_LOW[c] + (BAND_HIGH[c] - BAND_LOW[c]) * within;
}

/** Best value of hole cards `h1`, `h2` with the first `n` board cards (n = 3, 4 or 5). */
function evaluate(s: PokerScratch, h1: number, h2: number, n: number): number {
  const cards = n === 3 ? s.five : n === 4 ? s.six : s.seven;
  cards[0] = h1;
  cards[1] = h2;
  for (let k = 0; k < n; k++) cards[2 + k] = s.deck[4 + k];
  return evaluateCardCodes(cards);
}

/**
 * One betting round. `p` = [button, other]; returns the seat (0/1) that folded, or -1.
 * Decisions: fold a weak hand facing a bet (threshold from tightness and pot odds) unless
 * bluffing; raise a strong hand (threshold from poker aggression) or a bluff, at most twice per
 * street; otherwise call or check.
 */
function bettingRound(
  world: World,
  p: readonly [number, number],
  first: number,
  cap: number,
  big: number,
): number {
  const s = world.poker;
  const g = world.fish.genes;
  const put = s.put;
  let seat = first;
  let acted = 0;
  let raises = 0;
  for (let n = 0; n < 8 && acted < 2; n++) {
    const me = p[seat];
    const other = 1 - seat;
    const toCall = put[other] - put[seat];
    const pot = put[0] + put[1];
    const strength = s.strength[seat];
    const bluff = random(world.rng) < g[GENE.pokerBluff][me];
    if (toCall > 0 && !bluff) {
      const foldBelow = 0.45 * g[GENE.pokerTightness][me] + 0.5 * (toCall / (pot + toCall));
      if (strength < foldBelow) return seat;
    }
    const room = cap - put[seat];
    const aggression = g[GENE.pokerAggression][me];
    if ((bluff || strength > 0.85 - 0.5 * aggression) && raises < 2 && room > toCall) {
      const raise = Math.min(room - toCall, Math.max(big, pot * (0.3 + 0.7 * aggression)));
      put[seat] += toCall + raise;
      raises++;
      acted = 1;
    } else {
      put[seat] += toCall;
      acted++;
    }
    seat = other;
  }
  return -1;
}

/**
 * Plays one heads-up hand between fish `a` and `b`, settles it, records it and may lead to a
 * post-poker birth. The caller checks willingness and that `stakeLimit` is worth playing for.
 *
 * @example
 * ```ts
 * if (willingToPlay(world, a) && willingToPlay(world, b) && stakeLimit(world, a, b) >= 1) playHand(world, a, b);
 * ```
 */
export function playHand(world: World, a: number, b: number): PokerHandEvent {
  const f = world.fish;
  const s = world.poker;
  const rng = world.rng;
  const cap = stakeLimit(world, a, b);
  const blind = (i: number) => f.energy[i] * (0.15 + (f.size[i] - 0.35) * 0.158);
  const big = Math.max(0, Math.min(POKER_MAX_BLIND, blind(a), blind(b), cap));
  // The button alternates per fish: whoever did not have it last time takes it.
  const button = f.pokerButton[a] >= f.pokerButton[b] ? a : b;
  const other = button === a ? b : a;
  f.pokerButton[button] = 0;
  f.pokerButton[other] = 1;
  const seats = [button, other] as const;

  const deck = s.deck;
  for (let k = 0; k < 52; k++) deck[k] = k;
  for (let k = 0; k < 9; k++) {
    const j = k + randomInt(rng, 52 - k);
    const t = deck[k];
    deck[k] = deck[j];
    deck[j] = t;
  }
  // Hole cards: button deck[0..1], other deck[2..3]; the board is deck[4..8].
  s.put[0] = big / 2;
  s.put[1] = big;
  let folded = -1;
  for (let street = 0; street < 4 && folded < 0; street++) {
    for (let seat = 0; seat < 2; seat++) {
      const h1 = deck[2 * seat];
      const h2 = deck[2 * seat + 1];
      s.strength[seat] = street === 0 ? preflopStrength(h1, h2) : strengthOf(evaluate(s, h1, h2, street + 2));
    }
    folded = bettingRound(world, seats, street === 0 ? 0 : 1, cap, big);
  }

  let winnerSeat = -1;
  let hands: [string | null, string | null] = [null, null];
  if (folded >= 0) {
    winnerSeat = 1 - folded;
  } else {
    const v0 = evaluate(s, deck[0], deck[1], 5);
    const v1 = evaluate(s, deck[2], deck[3], 5);
    winnerSeat = v0 < v1 ? 0 : v1 < v0 ? 1 : -1;
    const names = [HAND_NAMES[handRank(v0)], HAND_NAMES[handRank(v1)]];
    hands = button === a ? [names[0], names[1]] : [names[1], names[0]];
  }
  return settle(world, a, b, seats, winnerSeat, folded >= 0, hands);
}

function settle(
  world: World,
  a: number,
  b: number,
  seats: readonly [number, number],
  winnerSeat: number,
  byFold: boolean,
  hands: [string | null, string | null],
): PokerHandEvent {
  const f = world.fish;
  const c = world.counters;
  const put = world.poker.put;
  const pot = put[0] + put[1];
  let moved = 0;
  let cut = 0;
  let winnerUid: string | null = null;
  c.pokerHands++;
  for (const i of seats) {
    f.pokerGames[i]++;
    f.pokerCooldown[i] = POKER_COOLDOWN;
    f.pokerEffectFrames[i] = POKER_EFFECT_FRAMES;
  }
  if (winnerSeat < 0) {
    c.pokerTies++;
    for (const i of seats) {
      f.pokerTies[i]++;
      f.pokerEffect[i] = PokerEffect.tie;
      f.pokerEffectAmount[i] = 0;
    }
  } else {
    const winner = seats[winnerSeat];
    const loser = seats[1 - winnerSeat];
    moved = put[1 - winnerSeat];
    cut = houseCut(moved, f.size[winner]);
    f.energy[loser] -= moved;
    f.energy[winner] += moved - cut;
    f.pokerWins[winner]++;
    f.pokerLosses[loser]++;
    f.pokerNet[winner] += moved - cut;
    f.pokerNet[loser] -= moved;
    f.pokerEffect[winner] = PokerEffect.won;
    f.pokerEffectAmount[winner] = moved - cut;
    f.pokerEffect[loser] = PokerEffect.lost;
    f.pokerEffectAmount[loser] = moved;
    c.pokerEnergyMoved += moved;
    c.houseCut += cut;
    winnerUid = f.uid[winner];
  }
  const event: PokerHandEvent = {
    players: [f.uid[a], f.uid[b]],
    winner: winnerUid,
    end: byFold ? 'fold' : 'showdown',
    hands,
    pot,
    moved,
    houseCut: cut,
  };
  world.events.pokerHands.push(event);
  if (winnerSeat >= 0) tryPokerBirth(world, seats[winnerSeat], seats[1 - winnerSeat]);
  return event;
}
