import { describe, expect, it } from 'vitest';
import { createWorld, spawnFish, step, worldStats } from '../../src/sim/index.ts';
import { houseCut, playHand, stakeLimit, willingToPlay } from '../../src/sim/poker.ts';

/** A world holding just two adult fish with the given energies, ready to play. */
function table(seed: number, energyA: number, energyB: number) {
  const world = createWorld({ seed, uidPrefix: 'p', initialFish: 0 });
  const genome = { maxEnergy: 1.5, aggression: 1 };
  spawnFish(world, { genome: { ...genome, pokerAggression: (seed % 10) / 10 }, x: 500, y: 300 });
  spawnFish(world, { genome: { ...genome, pokerTightness: (seed % 7) / 7 }, x: 520, y: 300 });
  const f = world.fish;
  f.age[0] = f.age[1] = 1000;
  f.energy[0] = energyA;
  f.energy[1] = energyB;
  // Post-poker births would take energy from the players: keep them out of this ledger.
  f.mateCooldown[0] = f.mateCooldown[1] = 10_000;
  return world;
}

describe('poker', () => {
  it('should conserve energy except for the house cut, which only the winner pays', () => {
    let showdowns = 0;
    let folds = 0;
    let ties = 0;
    let totalCut = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const world = table(seed, 40 + (seed % 50), 30 + ((seed * 7) % 60));
      const f = world.fish;
      expect(willingToPlay(world, 0) && willingToPlay(world, 1)).toBe(true);
      const [a, b] = [f.energy[0], f.energy[1]];
      const limit = stakeLimit(world, 0, 1);
      const hand = playHand(world, 0, 1);
      const [a2, b2] = [f.energy[0], f.energy[1]];
      expect(a + b - (a2 + b2)).toBeCloseTo(hand.houseCut, 9);
      expect(hand.moved).toBeLessThanOrEqual(limit + 1e-9);
      if (hand.winner === null) {
        ties++;
        expect([a2, b2]).toEqual([a, b]);
        expect(hand.houseCut).toBe(0);
        continue;
      }
      const winner = hand.winner === f.uid[0] ? 0 : 1;
      const loser = 1 - winner;
      expect([a, b][loser] - [a2, b2][loser]).toBeCloseTo(hand.moved, 9);
      expect([a2, b2][winner] - [a, b][winner]).toBeCloseTo(hand.moved - hand.houseCut, 9);
      expect(hand.houseCut).toBeCloseTo(houseCut(hand.moved, f.size[winner]), 12);
      expect(hand.houseCut).toBeGreaterThan(0);
      expect(hand.houseCut).toBeLessThanOrEqual(0.25 * hand.moved + 1e-12);
      expect(f.energy[winner]).toBeLessThanOrEqual(f.maxEnergy[winner]);
      totalCut += hand.houseCut;
      if (hand.end === 'fold') folds++;
      else showdowns++;
      expect(worldStats(world).poker).toEqual({
        hands: 1,
        ties: 0,
        energyMoved: hand.moved,
        houseCut: hand.houseCut,
      });
    }
    // The sample covers both ways a hand ends.
    expect(showdowns).toBeGreaterThan(20);
    expect(folds).toBeGreaterThan(20);
    expect(ties).toBeLessThan(40);
    expect(totalCut).toBeGreaterThan(0);
  });

  it('should follow the original house-cut formula: 8 % rising with size, capped at 25 %', () => {
    expect(houseCut(10, 0.35)).toBeCloseTo(0.8, 12);
    expect(houseCut(10, 0.35 + 0.5)).toBeCloseTo(10 * (0.08 + 0.09), 12);
    expect(houseCut(10, 1.3)).toBeCloseTo(2.5, 12);
    expect(houseCut(0, 1)).toBe(0);
  });

  it('should report hands, with showdown hand names, and put both players on cooldown', () => {
    const world = table(3, 60, 60);
    const hand = playHand(world, 0, 1);
    expect(world.events.pokerHands).toEqual([hand]);
    expect(hand.players).toEqual([world.fish.uid[0], world.fish.uid[1]]);
    if (hand.end === 'showdown') expect(hand.hands.every((h) => typeof h === 'string')).toBe(true);
    expect(willingToPlay(world, 0) || willingToPlay(world, 1)).toBe(false);
    expect(world.fish.pokerGames[0]).toBe(1);
  });

  it('should move energy through the tank by poker only as the ledger says', () => {
    const world = createWorld({ seed: 21, uidPrefix: 'l' });
    let moved = 0;
    let cut = 0;
    for (let t = 0; t < 6000; t++) {
      for (const hand of step(world).pokerHands) {
        moved += hand.moved;
        cut += hand.houseCut;
      }
    }
    const stats = worldStats(world);
    expect(stats.poker.hands).toBeGreaterThan(50);
    expect(stats.poker.energyMoved).toBeCloseTo(moved, 6);
    expect(stats.poker.houseCut).toBeCloseTo(cut, 6);
    expect(cut / moved).toBeGreaterThan(0.08);
    expect(cut / moved).toBeLessThanOrEqual(0.25);
  });
});
