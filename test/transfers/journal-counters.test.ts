/**
 * @module
 * A restore replays the journal into the tank's counters as the running tank counted: a fish
 * held out by a transfer counts as gone (`transfersOut`) whether the hold happened live or is
 * replayed onto a snapshot taken before it, so a later put-back or commit leaves the counters
 * of the source and destination balanced (what left = what arrived).
 */
import { describe, expect, it } from 'vitest';
import { type JournalStep, replayJournal } from '../../src/server/transfers/index.ts';
import { createWorld, extractEntity, insertEntity, serialize } from '../../src/sim/index.ts';

const counters = (world: ReturnType<typeof createWorld>) => {
  const { transfersIn, transfersOut } = serialize(world).counters;
  return { transfersIn, transfersOut };
};

describe('journal replay and the transfer counters', () => {
  it('should count a fish held out by an open transfer as gone, as the running tank did', () => {
    const live = createWorld({ seed: 5, uidPrefix: 'j', initialFish: 4 });
    const snapshot = structuredClone(serialize(live));
    const uid = live.fish.uid[0]!;
    const payload = extractEntity(live, uid, { hold: true });

    const restored = createWorld({ seed: 5, uidPrefix: 'j', initialFish: 4 });
    expect(serialize(restored)).toEqual(snapshot);
    const open: JournalStep = { role: 'source', state: 'open', entityUid: uid, payload, seq: 1 };
    replayJournal(restored, [open]);
    expect(counters(restored)).toEqual(counters(live));
    expect(restored.fish.count).toBe(live.fish.count);

    // The abort puts it back in both: one out, one in, on each.
    insertEntity(live, payload, { held: true });
    insertEntity(restored, payload, { held: true });
    expect(counters(restored)).toEqual({ transfersIn: 1, transfersOut: 1 });
    expect(counters(live)).toEqual({ transfersIn: 1, transfersOut: 1 });
  });
});
