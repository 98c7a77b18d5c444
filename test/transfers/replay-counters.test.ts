/**
 * @module
 * A restart replays a tank's transfer journal onto its newest snapshot (`replayJournal`): the
 * world it gives must count its fish's comings and goings as the running tank did, so that a
 * tank's counters add up to its fish (births − deaths + arrivals − departures) after a kill as
 * before it; and a world the replay filled (fish that had died are back) must still take the
 * arrival whose room was held before the kill. Pure: worlds and journal entries in memory.
 */
import { describe, expect, it } from 'vitest';
import { heldPayload, type JournalStep, replayJournal } from '../../src/server/transfers/held.ts';
import {
  createWorld,
  type EntityPayload,
  extractEntity,
  fishIdOf,
  insertEntity,
  releaseFishSlot,
  restore,
  serialize,
  type World,
} from '../../src/sim/index.ts';

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

/** Fish the counters account for beyond those alive (0 for every world made by spawns alone). */
function unaccounted(world: World): number {
  const c = world.counters;
  return sum(c.births) - sum(c.deaths) + c.transfersIn - c.transfersOut - world.fish.count;
}

function tank(): World {
  // No start fish: every fish in it is a counted spawn.
  const world = createWorld({ seed: 9, uidPrefix: 'rc', initialFish: 0 });
  for (let n = 0; n < 4; n++) insertEntity(world, spawnPayload(world), {});
  return world;
}

let made = 0;

/** A fish from another tank (its own uid), counted as an arrival when inserted (as an import is). */
function spawnPayload(_into: World): EntityPayload {
  made++;
  const probe = createWorld({ seed: made, uidPrefix: `p${made}`, initialFish: 1 });
  return extractEntity(probe, probe.fish.uid[0]!);
}

const copy = (world: World) => restore(JSON.parse(JSON.stringify(serialize(world))));

describe('journal replay and the counters', () => {
  it('should count a fish held out by an open transfer as gone, as the running tank did', () => {
    const live = tank();
    const snapshot = copy(live);
    const uid = live.fish.uid[1]!;
    const id = fishIdOf(live, uid)!;
    const payload = extractEntity(live, uid, { hold: true });
    expect(unaccounted(live)).toBe(0);
    const held: JournalStep = {
      role: 'source',
      state: 'open',
      entityUid: uid,
      payload: heldPayload(payload, id),
      seq: 1,
    };
    replayJournal(snapshot, [held]);
    expect(fishIdOf(snapshot, uid)).toBeUndefined();
    expect(snapshot.counters).toEqual(live.counters);
    expect(unaccounted(snapshot)).toBe(0);
    // The transfer then commits: the fish is gone for good on both, the counts still add up.
    releaseFishSlot(live);
    releaseFishSlot(snapshot);
    expect(unaccounted(snapshot)).toBe(0);
    expect(snapshot.heldSlots).toBe(live.heldSlots);
  });

  it('should count departures, returns and arrivals replayed as the running tank counted them', () => {
    const live = tank();
    const snapshot = copy(live);
    const [gone, back] = [live.fish.uid[0]!, live.fish.uid[2]!];
    const goneId = fishIdOf(live, gone)!;
    const backId = fishIdOf(live, back)!;
    const left = extractEntity(live, gone, { hold: true });
    releaseFishSlot(live);
    const returned = extractEntity(live, back, { hold: true });
    insertEntity(live, returned, { held: true, id: backId });
    const arriving = spawnPayload(live);
    insertEntity(live, arriving, {});
    expect(unaccounted(live)).toBe(0);
    const journal: JournalStep[] = [
      { role: 'source', state: 'departed', entityUid: gone, payload: heldPayload(left, goneId), seq: 1 },
      { role: 'source', state: 'returned', entityUid: back, payload: heldPayload(returned, backId), seq: 2 },
      {
        role: 'dest',
        state: 'arrived',
        entityUid: (arriving as { uid: string }).uid,
        payload: arriving,
        seq: 3,
      },
    ];
    replayJournal(snapshot, journal);
    expect(unaccounted(snapshot)).toBe(0);
    expect(snapshot.fish.uid.slice(0, snapshot.fish.count).sort()).toEqual(
      live.fish.uid.slice(0, live.fish.count).sort(),
    );
  });

  it('should still take the arrival whose room was held when the replay filled the tank', () => {
    // maxFish 5: four fish and a slot held for an arrival (prepared before the kill).
    const live = createWorld({ seed: 9, uidPrefix: 'rf', initialFish: 0, maxFish: 5 });
    for (let n = 0; n < 4; n++) insertEntity(live, spawnPayload(live), {});
    const snapshot = copy(live);
    // After the snapshot a fish dies and an arrival takes its room.
    extractEntity(live, live.fish.uid[0]!);
    const arrived = spawnPayload(live);
    insertEntity(live, arrived, {});
    const coming = spawnPayload(live);
    const { uid } = coming as { uid: string };
    // The kill: the dead fish is back, the arrival replayed, the held room too.
    replayJournal(snapshot, [
      {
        role: 'dest',
        state: 'arrived',
        entityUid: (arrived as { uid: string }).uid,
        payload: arrived,
        seq: 1,
      },
      { role: 'dest', state: 'open', entityUid: uid, payload: coming, seq: 2 },
    ]);
    expect(snapshot.fish.count).toBe(5);
    expect(snapshot.heldSlots).toBe(1);
    // The commit after the restart: the held room is the fish's, full tank or not.
    insertEntity(snapshot, coming, { held: true });
    expect(fishIdOf(snapshot, uid)).toBeDefined();
    expect(snapshot.heldSlots).toBe(0);
    expect(snapshot.fish.count).toBe(6);
  });
});
