/**
 * @module
 * Tube mouths in the sim: the wanderlust gene (range, default for old genomes, kept in
 * snapshots), and the decision of a fish in a mouth to go: only fish in a mouth, never at
 * wanderlust 0, the same departures frame for frame for the same seed, and a world without
 * mouths that runs exactly as before (no RNG draw).
 */
import { describe, expect, it } from 'vitest';
import {
  createWorld,
  type Departure,
  GENE_KEYS,
  MOUTH_REACH,
  type Mouth,
  restore,
  serialize,
  setMouths,
  spawnFish,
  step,
  validateGenome,
  type World,
} from '../../src/sim/index.ts';

const FISH_HALF = 25;
const ALL_EDGES: Mouth[] = [
  { id: 'l', edge: 'left', from: 0, to: 10_000 },
  { id: 'r', edge: 'right', from: 0, to: 10_000 },
  { id: 't', edge: 'top', from: 0, to: 10_000 },
  { id: 'b', edge: 'bottom', from: 0, to: 10_000 },
];

function world(seed: number, wanderlust: number | undefined, mouths: Mouth[] = ALL_EDGES): World {
  const w = createWorld({ seed, uidPrefix: 'm', initialFish: 0 });
  for (let i = 0; i < 30; i++) spawnFish(w, wanderlust === undefined ? {} : { genome: { wanderlust } });
  setMouths(w, mouths);
  return w;
}

/** Runs `frames` ticks; each tick's departures, checked against where the fish is. */
function run(w: World, frames: number): Departure[][] {
  const out: Departure[][] = [];
  for (let t = 0; t < frames; t++) {
    const events = step(w);
    for (const d of events.departures) {
      const i = w.fish.uid.indexOf(d.uid);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(w.fish.count);
      const x = w.fish.x[i];
      const y = w.fish.y[i];
      const near = {
        l: x <= FISH_HALF + MOUTH_REACH,
        r: x >= w.width - FISH_HALF - MOUTH_REACH,
        t: y <= 20 + FISH_HALF + MOUTH_REACH,
        b: y >= w.height - FISH_HALF - MOUTH_REACH,
      }[d.mouth_id];
      expect(near, `${d.uid} at ${x},${y} through ${d.mouth_id}`).toBe(true);
    }
    out.push(events.departures.map((d) => ({ ...d })));
  }
  return out;
}

describe('wanderlust gene', () => {
  it('should validate its range and read an old genome without it as the default', () => {
    const full = Object.fromEntries(
      GENE_KEYS.map((k) => [k, k === 'patternType' || k === 'template' ? 1 : k === 'pokerBluff' ? 0.2 : 0.8]),
    );
    expect(validateGenome({ ...full, wanderlust: 0.25 }).wanderlust).toBe(0.25);
    expect(() => validateGenome({ ...full, wanderlust: 1.5 })).toThrow(/wanderlust/);
    const { wanderlust: _, ...old } = full;
    expect(validateGenome(old).wanderlust).toBe(0.5);
  });

  it('should keep wanderlust in a snapshot and read a snapshot from before it', () => {
    const w = world(3, 0.9);
    const snap = serialize(w);
    expect(snap.fish.every((f) => f.genome.wanderlust === 0.9)).toBe(true);
    const old = JSON.parse(JSON.stringify(snap));
    for (const f of old.fish) delete f.genome.wanderlust;
    expect(serialize(restore(old)).fish.every((f) => f.genome.wanderlust === 0.5)).toBe(true);
  });
});

describe('mouth decision', () => {
  it('should send fish with wanderlust through mouths, the same ones frame for frame for a seed', () => {
    const a = run(world(11, 1), 900);
    const b = run(world(11, 1), 900);
    expect(a).toEqual(b);
    expect(a.flat().length).toBeGreaterThan(0);
  });

  it('should send no fish at wanderlust 0, and none through a span no fish is in', () => {
    expect(run(world(12, 0), 900).flat()).toEqual([]);
    const nowhere: Mouth[] = [{ id: 'r', edge: 'right', from: 5000, to: 5001 }];
    expect(run(world(12, 1, nowhere), 900).flat()).toEqual([]);
  });

  it('should run a world without mouths exactly as before: no draw from the RNG', () => {
    const a = world(13, 1, []);
    const b = world(13, 1, [{ id: 'r', edge: 'right', from: 5000, to: 5001 }]);
    run(a, 600);
    run(b, 600);
    const sa = serialize(a);
    const sb = serialize(b);
    expect(sa).toEqual(sb);
  });

  it('should refuse a mouth with a bad edge or span', () => {
    const w = world(14, 1, []);
    expect(() => setMouths(w, [{ id: 'x', edge: 'middle' as never, from: 0, to: 1 }])).toThrow(/mouth x/);
    expect(() => setMouths(w, [{ id: 'x', edge: 'left', from: 5, to: 5 }])).toThrow(/mouth x/);
    expect(() => setMouths(w, [{ id: 'x', edge: 'left', from: Number.NaN, to: 5 }])).toThrow(/mouth x/);
  });
});
