/**
 * @module
 * The tube soak's account by uid (`uid-account.ts`) on hand-made censuses and death records:
 * it passes a run where every fish is alive or dead in one place, and fails one where a fish
 * vanished, is both alive and dead, died in two tanks, or where a death record may have
 * dropped a death it needed.
 */
import { describe, expect, it } from 'vitest';
import { createUidAccount, type DeathRecord } from './uid-account.ts';

const census = (entries: Record<string, string>) => new Map(Object.entries(entries));
const record = (tank_id: string, deaths: Array<[string, number]>, complete_since_frame = 0): DeathRecord => ({
  tank_id,
  complete_since_frame,
  deaths: deaths.map(([uid, frame]) => ({ uid, frame })),
});

/**
 * Start: a, b in T1, c in T2. Checkpoint (snapshots at frame 100): c died at 80 in T2, d born
 * in T1, a moved to T2. End: b died in T1 after the checkpoint (frame 150).
 */
function run(finalT1: Array<[string, number]>, end: Record<string, string>) {
  const account = createUidAccount();
  account.observe(census({ a: 'T1', b: 'T1', c: 'T2' }));
  expect(account.read(record('T1', []), 10)).toBeUndefined();
  expect(account.read(record('T2', []), 10)).toBeUndefined();
  account.observe(census({ a: 'T2', b: 'T1', d: 'T1' }));
  expect(account.read(record('T1', []), 100)).toBeUndefined();
  expect(account.read(record('T2', [['c', 80]]), 100)).toBeUndefined();
  expect(account.read(record('T1', finalT1), Number.POSITIVE_INFINITY)).toBeUndefined();
  expect(account.read(record('T2', [['c', 80]]), Number.POSITIVE_INFINITY)).toBeUndefined();
  return account.close(census(end));
}

describe('the account by uid', () => {
  it('should find every fish alive in one tank or dead in one', () => {
    const result = run([['b', 150]], { a: 'T2', d: 'T1' });
    expect(result).toEqual({ accounted: 4, alive: 2, dead: 2, lost: [], duplicated: [] });
  });

  it('should name a fish that is neither alive nor in any record as lost', () => {
    const result = run([], { a: 'T2', d: 'T1' });
    expect(result.lost).toEqual(['b']);
  });

  it('should name a fish that is alive and dead, or dead in two tanks, as duplicated', () => {
    expect(run([['b', 150]], { a: 'T2', b: 'T2', d: 'T1' }).duplicated).toEqual([
      { uid: 'b', alive: 'T2', dead: ['T1'] },
    ]);
    expect(
      run(
        [
          ['b', 150],
          ['c', 120],
        ],
        { a: 'T2', d: 'T1' },
      ).duplicated,
    ).toEqual([{ uid: 'c', alive: null, dead: ['T2', 'T1'] }]);
  });

  it('should not hold a death after the snapshot against a fish a kill brought back', () => {
    const account = createUidAccount();
    account.observe(census({ x: 'T1' }));
    // Read after the snapshot at frame 100: x died at 130, which a kill may still undo.
    expect(account.read(record('T1', [['x', 130]]), 100)).toBeUndefined();
    // It did: the tank went back to frame 100 and x lives on.
    expect(account.read(record('T1', []), Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(account.close(census({ x: 'T1' }))).toMatchObject({ alive: 1, lost: [], duplicated: [] });
  });

  it('should refuse a death record that may have dropped a death since its last reading', () => {
    const account = createUidAccount();
    expect(account.read(record('T1', [], 0), 100)).toBeUndefined();
    // Complete from 101 on: nothing after the last snapshot read is missing.
    expect(account.read(record('T1', [['y', 101]], 101), 200)).toBeUndefined();
    // Complete only from 250: deaths in 201–249 may have given way.
    expect(account.read(record('T1', [['z', 250]], 250), 300)).toMatch(/complete only since frame 250/);
  });
});
