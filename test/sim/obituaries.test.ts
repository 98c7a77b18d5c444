import { describe, expect, it } from 'vitest';
import {
  createWorld,
  listObituaries,
  OBITUARY_CAPACITY,
  type Obituary,
  restore,
  serialize,
  step,
  type World,
} from '../../src/sim/index.ts';

/** Steps until `deaths` fish have died (at most `limit` frames); answers every death seen, in order. */
function runUntilDeaths(world: World, deaths: number, limit = 200_000): Obituary[] {
  const seen: Obituary[] = [];
  for (let t = 0; t < limit && seen.length < deaths; t++) {
    const events = step(world);
    for (const d of events.deaths) seen.push({ uid: d.uid, cause: d.cause, frame: events.frame });
  }
  expect(seen.length).toBeGreaterThanOrEqual(deaths);
  return seen;
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('obituaries', () => {
  it('should record each death by uid, cause and frame, as the step reported it', () => {
    const world = createWorld({ seed: 21, uidPrefix: 'ob' });
    const seen = runUntilDeaths(world, 20);
    expect(listObituaries(world.obituaries)).toEqual(seen);
    const counted = Object.values(world.counters.deaths).reduce((a, b) => a + b, 0);
    expect(counted).toBe(seen.length);
    // None of them is still alive.
    const alive = new Set(world.fish.uid.slice(0, world.fish.count));
    expect(seen.filter((d) => alive.has(d.uid))).toEqual([]);
  });

  it(`should keep only the newest ${OBITUARY_CAPACITY} deaths once more have died`, () => {
    const world = createWorld({ seed: 8, uidPrefix: 'ob', maxFish: 100, initialFish: 60 });
    const seen = runUntilDeaths(world, OBITUARY_CAPACITY + 40);
    const kept = listObituaries(world.obituaries);
    expect(kept).toHaveLength(OBITUARY_CAPACITY);
    expect(kept).toEqual(seen.slice(-OBITUARY_CAPACITY));
    expect(serialize(world).deaths).toHaveLength(OBITUARY_CAPACITY);
  });

  it('should save the record in a snapshot and roll it back with the fish on a restore', () => {
    const world = createWorld({ seed: 21, uidPrefix: 'ob' });
    runUntilDeaths(world, 10);
    const saved = json(serialize(world));
    const before = listObituaries(world.obituaries);
    // The tank goes on; more fish die, then it is put back to the snapshot.
    const later = runUntilDeaths(world, 5);
    const back = restore(saved);
    expect(listObituaries(back.obituaries)).toEqual(before);
    const alive = new Set(back.fish.uid.slice(0, back.fish.count));
    for (const d of later) expect(alive.has(d.uid), d.uid).toBe(true);
    // The restored tank dies the same deaths again, frame for frame.
    expect(runUntilDeaths(back, 5)).toEqual(later.slice(0, 5));
    expect(serialize(restore(json(serialize(back))))).toEqual(serialize(back));
  });

  it('should write the tank’s own uids short and a newcomer’s whole, and read both back', () => {
    const world = createWorld({ seed: 21, uidPrefix: 'ob' });
    runUntilDeaths(world, 3);
    const snap = json(serialize(world));
    expect(snap.deaths?.every(([uid]) => uid.startsWith('.'))).toBe(true);
    snap.deaths?.push(['elsewhere.7', 'predation', snap.frame]);
    const back = restore(snap);
    const list = listObituaries(back.obituaries);
    expect(list.at(-1)).toEqual({ uid: 'elsewhere.7', cause: 'predation', frame: snap.frame });
    expect(list.slice(0, -1)).toEqual(listObituaries(world.obituaries));
  });

  it('should restore a snapshot from before the record with an empty one, the tank otherwise the same', () => {
    const world = createWorld({ seed: 3, uidPrefix: 'ob' });
    runUntilDeaths(world, 4);
    const { deaths: _, ...old } = json(serialize(world));
    const back = restore(old);
    expect(listObituaries(back.obituaries)).toEqual([]);
    const next = runUntilDeaths(world, 3);
    expect(runUntilDeaths(back, 3)).toEqual(next);
    expect(listObituaries(back.obituaries)).toEqual(next);
  });

  it('should reject a malformed record with invalid_snapshot', () => {
    const world = createWorld({ seed: 21, uidPrefix: 'ob' });
    runUntilDeaths(world, 3);
    const good = json(serialize(world));
    const bad = [
      { ...good, deaths: 'none' },
      { ...good, deaths: [['ob.1', 'boredom', 1]] },
      { ...good, deaths: [['not a uid', 'old_age', 1]] },
      { ...good, deaths: [['ob.1', 'old_age']] },
      { ...good, deaths: [['ob.1', 'old_age', good.frame + 1]] },
      {
        ...good,
        deaths: [
          ['ob.2', 'old_age', 5],
          ['ob.3', 'old_age', 4],
        ],
      },
      { ...good, deaths: Array.from({ length: OBITUARY_CAPACITY + 1 }, () => ['ob.1', 'old_age', 1]) },
    ];
    for (const snapshot of bad) {
      expect(() => restore(snapshot), JSON.stringify(snapshot.deaths).slice(0, 80)).toThrow(
        expect.objectContaining({ name: 'SimError', code: 'invalid_snapshot' }),
      );
    }
  });
});
