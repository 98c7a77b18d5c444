/**
 * @module
 * Each placement strategy on its own, and the default composition: health first (critical
 * never, warning only when nothing passes), then the region hint, then pressure (CPU busy well
 * above the least busy candidate), then fewest tanks;
 * ties go to the lower id so placement is repeatable.
 */
import { describe, expect, it } from 'vitest';
import { defaultPlacement, fewestTanks, leastLoaded, regionFirst } from '../../src/gateway/index.ts';
import type { PlacementInput } from '../../src/gateway/placement.ts';
import type { ServerLoad } from '../../src/realtime/index.ts';
import { fakeServer } from './placement-fixture.ts';

const server = fakeServer;

function load(cpu: number, ticksBehind = 0, memoryMb = 100): ServerLoad {
  return {
    tank_count: 0,
    cpu_percent: cpu,
    memory_mb: memoryMb,
    ws_connections: 0,
    ticks_behind: ticksBehind,
    updated_at: new Date(0).toISOString(),
  };
}

function input(over: Partial<PlacementInput> = {}): PlacementInput {
  return { loads: new Map(), tankCounts: {}, ...over };
}

describe('placement strategies', () => {
  it('fewestTanks should pick the server with the fewest tanks, the lower id on a tie', () => {
    const servers = [server('c'), server('a'), server('b')];
    expect(fewestTanks().choose(servers, input({ tankCounts: { a: 3, b: 1, c: 1 } }))).toBe('b');
    expect(fewestTanks().choose(servers, input())).toBe('a');
    expect(fewestTanks().choose([], input())).toBeUndefined();
  });

  it('leastLoaded should avoid a busy server, then balance tanks', () => {
    const servers = [server('a'), server('b')];
    const strategy = leastLoaded();
    const choose = (a: ServerLoad, b: ServerLoad, tankCounts: Record<string, number> = {}) =>
      strategy.choose(
        servers,
        input({
          loads: new Map([
            ['a', a],
            ['b', b],
          ]),
          tankCounts,
        }),
      );
    // A stall of a few ticks is not pressure (saturation shows as a `warning` check).
    expect(choose(load(5, 3), load(5), { a: 0, b: 1 })).toBe('a');
    // Busy (≥ 75 % and 25 points above the least busy) is worse than calm, whatever the tanks.
    expect(choose(load(80), load(20), { a: 0, b: 40 })).toBe('b');
    // CPU below the busy level, or within the margin of the least busy one, is noise: tanks decide.
    expect(choose(load(10), load(60), { a: 5, b: 1 })).toBe('b');
    expect(choose(load(80), load(95), { a: 5, b: 1 })).toBe('b');
    expect(choose(load(171), load(187), { a: 5, b: 1 })).toBe('b');
    // A server that has not reported yet counts as calm (it just started).
    expect(strategy.choose(servers, input({ loads: new Map([['a', load(85)]]) }))).toBe('b');
    expect(strategy.choose(servers, input({ loads: new Map([['a', load(60)]]), tankCounts: { b: 1 } }))).toBe(
      'a',
    );
    expect(() => leastLoaded({ cpuMarginPercent: -1 })).toThrow(RangeError);
  });

  it('leastLoaded should avoid a server short of memory, measured against the least used', () => {
    const servers = [server('a'), server('b')];
    const strategy = leastLoaded();
    const choose = (aMb: number, bMb: number, tankCounts: Record<string, number>) =>
      strategy.choose(
        servers,
        input({
          loads: new Map([
            ['a', load(10, 0, aMb)],
            ['b', load(10, 0, bMb)],
          ]),
          tankCounts,
        }),
      );
    // Resident memory ≥ 1536 MB and 512 MB above the least used: busy, whatever the tanks.
    expect(choose(1800, 300, { a: 0, b: 40 })).toBe('b');
    // Below the busy level, or within the margin of the least used one: tanks decide.
    expect(choose(1400, 300, { a: 0, b: 40 })).toBe('a');
    expect(choose(1800, 1500, { a: 0, b: 40 })).toBe('a');
    // Thresholds are the caller's.
    expect(
      leastLoaded({ busyMemoryMb: 500, memoryMarginMb: 100 }).choose(
        servers,
        input({
          loads: new Map([
            ['a', load(10, 0, 700)],
            ['b', load(10, 0, 300)],
          ]),
          tankCounts: { a: 0, b: 40 },
        }),
      ),
    ).toBe('b');
    expect(() => leastLoaded({ memoryMarginMb: -1 })).toThrow(RangeError);
  });

  it('regionFirst should keep to the hinted region or zone when it has servers, and use all otherwise', () => {
    const servers = [
      server('a', { region: 'eu' }),
      server('b', { region: 'us' }),
      server('c', { region: 'us' }),
    ];
    const strategy = regionFirst(fewestTanks());
    const counts = { tankCounts: { a: 0, b: 5, c: 2 } };
    expect(strategy.choose(servers, input({ regionHint: 'us', ...counts }))).toBe('c');
    expect(strategy.choose(servers, input({ regionHint: 'us-a', ...counts }))).toBe('c');
    expect(strategy.choose(servers, input({ regionHint: 'ap', ...counts }))).toBe('a');
    expect(strategy.choose(servers, input(counts))).toBe('a');
  });

  it('the default should never pick a critical server and take a warning one only when none passes', () => {
    const placement = defaultPlacement();
    const counts = { tankCounts: { a: 9, b: 0, c: 0 } };
    expect(
      placement.choose(
        [server('a'), server('b', { status: 'critical' }), server('c', { status: 'warning' })],
        input(counts),
      ),
    ).toBe('a');
    expect(
      placement.choose(
        [server('b', { status: 'critical' }), server('c', { status: 'warning' })],
        input(counts),
      ),
    ).toBe('c');
    expect(placement.choose([server('b', { status: 'critical' })], input(counts))).toBeUndefined();
  });

  it('the default should weigh region before pressure and pressure before tank counts', () => {
    const placement = defaultPlacement();
    const servers = [
      server('a', { region: 'eu' }),
      server('b', { region: 'us' }),
      server('c', { region: 'us' }),
    ];
    const loads = new Map([
      ['a', load(1)],
      ['b', load(95)],
      ['c', load(10)],
    ]);
    expect(
      placement.choose(servers, input({ regionHint: 'us', loads, tankCounts: { a: 0, b: 0, c: 50 } })),
    ).toBe('c');
    expect(placement.choose(servers, input({ loads, tankCounts: { a: 50, b: 0, c: 0 } }))).toBe('c');
  });
});
