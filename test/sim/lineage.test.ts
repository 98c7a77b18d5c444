import { describe, expect, it } from 'vitest';
import {
  type BirthEvent,
  createWorld,
  extractEntity,
  importEntity,
  insertEntity,
  listEntities,
  readEntity,
  restore,
  SimError,
  serialize,
  spawnFish,
  step,
  type World,
} from '../../src/sim/index.ts';

function run(world: World, ticks: number, births: BirthEvent[] = []): BirthEvent[] {
  for (let t = 0; t < ticks; t++) for (const b of step(world).births) births.push({ ...b });
  return births;
}

/** uid → [lineage, parent] of every fish alive in the world. */
function families(world: World): Map<string, [string, string | null]> {
  const f = world.fish;
  const out = new Map<string, [string, string | null]>();
  for (let i = 0; i < f.count; i++) out.set(f.uid[i], [f.lineage[i], f.parent[i]]);
  return out;
}

describe('lineage', () => {
  it('should make every starting and spawned fish its own founder', () => {
    const world = createWorld({ seed: 8, uidPrefix: 'l' });
    for (const [uid, [lineage, parent]] of families(world)) {
      expect(lineage).toBe(uid);
      expect(parent).toBeNull();
    }
    const { uid } = spawnFish(world);
    expect(families(world).get(uid)).toEqual([uid, null]);
    expect(world.events.births.at(-1)).toMatchObject({ uid, mode: 'spawned', lineage_id: uid });
  });

  it('should pass the carrier parent’s lineage and uid to every child, through generations', () => {
    const world = createWorld({ seed: 2024, uidPrefix: 'r' });
    const known = families(world);
    const births = run(world, 8000);
    const modes = new Set<string>();
    for (const b of births) {
      modes.add(b.mode);
      // The carrier is the first parent named: the budding fish, the mother, the poker winner.
      const carrier = known.get(b.parents[0]);
      expect(carrier, `parent ${b.parents[0]} of ${b.uid} is known`).toBeDefined();
      expect(b.lineage_id).toBe(carrier?.[0]);
      known.set(b.uid, [b.lineage_id, b.parents[0]]);
    }
    expect(modes).toEqual(new Set(['asexual', 'sexual', 'poker']));
    // Some family went on past its first children.
    expect(Math.max(...births.map((b) => b.generation))).toBeGreaterThan(2);
    for (const [uid, family] of families(world)) expect(family).toEqual(known.get(uid));
    // Views carry it too.
    const fish = listEntities(world).filter((e) => e.kind === 'fish');
    for (const e of fish) if (e.kind === 'fish') expect([e.lineageId, e.parentUid]).toEqual(known.get(e.uid));
  });

  it('should keep lineage through a snapshot round trip, births after it included', () => {
    const straight = createWorld({ seed: 11, uidPrefix: 's' });
    const straightBirths = run(straight, 5000);
    const first = createWorld({ seed: 11, uidPrefix: 's' });
    const firstBirths = run(first, 2500);
    const saved = serialize(first);
    expect(saved.fish.some((f) => f.parentUid !== null && f.lineageId !== f.uid)).toBe(true);
    const resumed = restore(JSON.parse(JSON.stringify(saved)));
    expect(families(resumed)).toEqual(families(first));
    run(resumed, 2500, firstBirths);
    expect(firstBirths).toEqual(straightBirths);
    expect(families(resumed)).toEqual(families(straight));
  });

  it('should read a snapshot from before lineages as founders, and run it exactly as before', () => {
    const world = createWorld({ seed: 5, uidPrefix: 'o' });
    run(world, 3000);
    const snap = JSON.parse(JSON.stringify(serialize(world)));
    const old = structuredClone(snap);
    for (const f of old.fish) {
      delete f.lineageId;
      delete f.parentUid;
    }
    const fromOld = restore(old);
    for (const [uid, family] of families(fromOld)) expect(family).toEqual([uid, null]);
    // Lineage is bookkeeping only: the two worlds stay identical frame for frame.
    const fromNew = restore(snap);
    run(fromOld, 1500);
    run(fromNew, 1500);
    const strip = (w: World) => serialize(w).fish.map(({ lineageId: _l, parentUid: _p, ...rest }) => rest);
    expect(strip(fromOld)).toEqual(strip(fromNew));
  });

  it('should keep lineage, parent and generation when a fish moves between worlds', () => {
    const source = createWorld({ seed: 2024, uidPrefix: 'a' });
    run(source, 4000);
    const f = source.fish;
    let i = 0;
    while (i < f.count && f.parent[i] === null) i++;
    expect(i).toBeLessThan(f.count);
    const [uid, lineage, parent, generation] = [f.uid[i], f.lineage[i], f.parent[i], f.generation[i]];
    const payload = extractEntity(source, uid);
    expect(payload).toMatchObject({ uid, lineageId: lineage, parentUid: parent, generation });
    const dest = createWorld({ seed: 3, uidPrefix: 'b', initialFish: 2 });
    insertEntity(dest, payload);
    expect(families(dest).get(uid)).toEqual([lineage, parent]);
    // Its children in the new tank stay in the family.
    const births = run(dest, 6000).filter((b) => b.parents[0] === uid);
    for (const b of births) expect(b.lineage_id).toBe(lineage);
  });

  it('should import a copy under a uid born here, keeping its family, and nothing into a full tank', () => {
    const source = createWorld({ seed: 2024, uidPrefix: 'a' });
    run(source, 4000);
    const i = source.fish.parent.findIndex((p) => p !== null);
    const original = readEntity(source, source.fish.uid[i]);
    const dest = createWorld({ seed: 3, uidPrefix: 'b', initialFish: 2, maxFish: 3 });
    const copy = importEntity(dest, original);
    expect(copy.uid).toMatch(/^b\./);
    expect(readEntity(dest, copy.uid)).toEqual({
      ...original,
      uid: copy.uid,
      x: expect.any(Number),
      y: expect.any(Number),
    });
    expect(readEntity(source, original.uid)).toEqual(original);
    const before = serialize(dest);
    expect(() => importEntity(dest, original)).toThrow(SimError);
    expect(() => importEntity(dest, { ...original, energy: -1 })).toThrow(SimError);
    expect(serialize(dest)).toEqual(before);
  });
});
