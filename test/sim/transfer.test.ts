import { describe, expect, it } from 'vitest';
import {
  createWorld,
  extractEntity,
  frameView,
  insertEntity,
  listEntities,
  SimError,
  serialize,
  step,
  type World,
} from '../../src/sim/index.ts';

function grown(seed: number, prefix: string, ticks = 2000): World {
  const world = createWorld({ seed, uidPrefix: prefix });
  for (let t = 0; t < ticks; t++) step(world);
  return world;
}

/** The fish's stored record in a snapshot, without its local id. */
function record(world: World, uid: string) {
  const found = serialize(world).fish.find((f) => f.uid === uid);
  if (!found) throw new Error(`no ${uid}`);
  const { id: _id, ...rest } = found;
  return rest;
}

describe('extract and insert', () => {
  it('should move a fish to another world with identical state, the same uid and a new local id', () => {
    const source = grown(1, 'src');
    const dest = grown(2, 'dst');
    // Pick a fish with history: the oldest one.
    const fish = serialize(source).fish.reduce((a, b) => (b.age > a.age ? b : a));
    const before = record(source, fish.uid);
    const sourceCount = source.fish.count;
    const destCount = dest.fish.count;

    const payload = extractEntity(source, fish.uid);
    expect(payload.kind).toBe('fish');
    expect(payload).toEqual(before);
    expect(source.fish.count).toBe(sourceCount - 1);
    expect(listEntities(source).some((e) => e.kind === 'fish' && e.uid === fish.uid)).toBe(false);

    const ref = insertEntity(dest, JSON.parse(JSON.stringify(payload)));
    expect(ref.uid).toBe(fish.uid);
    expect(dest.fish.count).toBe(destCount + 1);
    const ids = listEntities(dest).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(record(dest, fish.uid)).toEqual(before);
    // The tank counts the move, not a birth.
    expect(serialize(dest).counters.transfersIn).toBe(1);
    expect(serialize(source).counters.transfersOut).toBe(1);
  });

  it('should behave identically after a round trip out of and back into the same world', () => {
    const a = grown(7, 'x');
    const b = grown(7, 'x');
    const uid = a.fish.uid[a.fish.count - 1];
    // Taking the last fish out and putting it back keeps storage order, so the future is unchanged.
    const ref = insertEntity(a, JSON.parse(JSON.stringify(extractEntity(a, uid))));
    expect(ref.id).not.toBe(b.fish.id[b.fish.count - 1]);
    for (let t = 0; t < 500; t++) {
      step(a);
      step(b);
    }
    const strip = (w: World) => serialize(w).fish.map(({ id: _id, ...rest }) => rest);
    expect(strip(a)).toEqual(strip(b));
  });

  it('should put a fish back under its old local id when asked and free, else under a new one', () => {
    const world = grown(3, 'back');
    const id = world.fish.id[0]!;
    const uid = world.fish.uid[0]!;
    const back = insertEntity(world, extractEntity(world, uid), { id });
    expect(back).toEqual({ id, uid });
    const ids = listEntities(world).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Taken (another entity has it) or never handed out: a new id, never a clash.
    const other = world.fish.uid[1]!;
    const taken = world.fish.id[2]!;
    expect(insertEntity(world, extractEntity(world, other), { id: taken }).id).toBe(world.nextId - 1);
    const third = world.fish.uid[3]!;
    const future = world.nextId + 5;
    expect(insertEntity(world, extractEntity(world, third), { id: future }).id).toBe(world.nextId - 1);
    expect(world.nextId).toBeLessThan(future);
  });

  it('should place the fish where asked and keep it inside the walls otherwise', () => {
    const source = grown(3, 'p', 300);
    const dest = createWorld({ seed: 4, uidPrefix: 'q', width: 400, height: 300, initialFish: 0 });
    const uid = source.fish.uid[0];
    const payload = extractEntity(source, uid);
    const far = { ...payload, x: 1000, y: 580 };
    insertEntity(dest, far);
    const view = frameView(dest);
    expect(view.fishX[0]).toBeLessThanOrEqual(400);
    expect(view.fishY[0]).toBeLessThanOrEqual(300);
    const dest2 = createWorld({ seed: 4, uidPrefix: 'r', initialFish: 0 });
    insertEntity(dest2, payload, { x: 100, y: 200 });
    expect([frameView(dest2).fishX[0], frameView(dest2).fishY[0]]).toEqual([100, 200]);
  });

  it('should refuse unknown uids, duplicates and full tanks without changing anything', () => {
    const world = grown(5, 'z', 200);
    const before = JSON.stringify(serialize(world));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(SimError);
        return (err as SimError).code;
      }
      return 'no error';
    };
    expect(code(() => extractEntity(world, 'z.zzzz'))).toBe('unknown_entity');
    const payload = extractEntity(grown(5, 'z', 200), world.fish.uid[0]);
    expect(code(() => insertEntity(world, payload))).toBe('duplicate_entity');
    const full = createWorld({ seed: 1, uidPrefix: 'f', maxFish: 3, initialFish: 3 });
    const fullBefore = JSON.stringify(serialize(full));
    expect(code(() => insertEntity(full, { ...payload, uid: 'other.1' }))).toBe('tank_full');
    expect(JSON.stringify(serialize(full))).toBe(fullBefore);
    expect(JSON.stringify(serialize(world))).toBe(before);
  });
});

describe('views', () => {
  it('should list the same entities the frame view exposes', () => {
    const world = grown(8, 'v', 1500);
    const view = frameView(world);
    const list = listEntities(world);
    const fish = list.filter((e) => e.kind === 'fish');
    expect(fish.map((e) => e.id)).toEqual(Array.from(view.fishId.subarray(0, view.fishCount)));
    expect(fish.map((e) => [e.x, e.y])).toEqual(
      Array.from({ length: view.fishCount }, (_, i) => [view.fishX[i], view.fishY[i]]),
    );
    expect(list.filter((e) => e.kind === 'food').map((e) => e.id)).toEqual(
      Array.from(view.foodId.subarray(0, view.foodCount)),
    );
    expect(list.filter((e) => e.kind === 'plant').length).toBe(view.plantCount);
    const crab = list.find((e) => e.kind === 'crab');
    expect(crab && [crab.x, crab.y]).toEqual([view.crabX, view.crabY]);
    expect(view.frame).toBe(1500);
    // The same view object is refreshed in place, tick after tick.
    step(world);
    expect(frameView(world)).toBe(view);
    expect(view.frame).toBe(1501);
  });
});
