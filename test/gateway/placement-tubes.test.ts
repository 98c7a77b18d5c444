/**
 * @module
 * Placement that follows tubes (`followTubes`, and inside `defaultPlacement`): a tank goes to
 * the server its tubes lead to while that server is calm and within the slack above the
 * emptiest candidate; otherwise the inner strategy decides as if there were no tubes. Health
 * and region still come first.
 */
import { describe, expect, it } from 'vitest';
import { defaultPlacement, fewestTanks, followTubes, leastLoaded } from '../../src/gateway/index.ts';
import type { PlacementInput } from '../../src/gateway/placement.ts';
import { tubeCeiling } from '../../src/gateway/placement-tubes.ts';
import type { ServerLoad } from '../../src/realtime/index.ts';
import { fakeServer } from './placement-fixture.ts';

const server = fakeServer;

function load(cpu: number, memoryMb = 100): ServerLoad {
  return {
    tank_count: 0,
    cpu_percent: cpu,
    memory_mb: memoryMb,
    ws_connections: 0,
    ticks_behind: 0,
    updated_at: new Date(0).toISOString(),
  };
}

function input(over: Partial<PlacementInput> = {}): PlacementInput {
  return { loads: new Map(), tankCounts: {}, ...over };
}

describe('followTubes', () => {
  const abc = [server('a'), server('b'), server('c')];

  it('should send a connected tank to its peers’ server while that server is within the slack', () => {
    const strategy = followTubes(fewestTanks(), { extraTanks: 3 });
    const tankCounts = { a: 0, b: 3, c: 1 };
    // Without tubes the emptiest server takes it; with one to b, b does (3 ≤ 0 + 3).
    expect(strategy.choose(abc, input({ tankCounts }))).toBe('a');
    expect(strategy.choose(abc, input({ tankCounts, peers: {} }))).toBe('a');
    expect(strategy.choose(abc, input({ tankCounts, peers: { b: 1 } }))).toBe('b');
    // One tank more and b is past the slack: the inner strategy decides, as without tubes.
    expect(strategy.choose(abc, input({ tankCounts: { ...tankCounts, b: 4 }, peers: { b: 1 } }))).toBe('a');
    // A peer on a server that is not a candidate (down, being left) pulls nowhere.
    expect(strategy.choose(abc, input({ tankCounts, peers: { z: 5 } }))).toBe('a');
  });

  it('should prefer the server with the most tubes, then fewer tanks, then the lower id', () => {
    const strategy = followTubes(fewestTanks());
    expect(strategy.choose(abc, input({ tankCounts: { a: 0, b: 2, c: 1 }, peers: { b: 2, c: 1 } }))).toBe(
      'b',
    );
    expect(strategy.choose(abc, input({ tankCounts: { a: 0, b: 2, c: 1 }, peers: { b: 1, c: 1 } }))).toBe(
      'c',
    );
    expect(strategy.choose(abc, input({ tankCounts: { a: 0, b: 1, c: 1 }, peers: { c: 1, b: 1 } }))).toBe(
      'b',
    );
    // The slack is checked per server: the better one past it gives way to the next.
    expect(strategy.choose(abc, input({ tankCounts: { a: 0, b: 9, c: 1 }, peers: { b: 4, c: 1 } }))).toBe(
      'c',
    );
  });

  it('should never pack onto a busy server, by CPU or by memory', () => {
    const strategy = followTubes(leastLoaded());
    const peers = { b: 3 };
    const tankCounts = { a: 2, b: 2, c: 2 };
    const calm = new Map([
      ['a', load(10)],
      ['b', load(30)],
      ['c', load(12)],
    ]);
    expect(strategy.choose(abc, input({ loads: calm, tankCounts, peers }))).toBe('b');
    const hot = new Map([...calm, ['b', load(90)]]);
    expect(strategy.choose(abc, input({ loads: hot, tankCounts, peers }))).toBe('a');
    const full = new Map([...calm, ['b', load(10, 1800)]]);
    expect(strategy.choose(abc, input({ loads: full, tankCounts, peers }))).toBe('a');
    // Busy is relative, as in leastLoaded: when every candidate runs hot the tubes decide again.
    const allHot = new Map([
      ['a', load(90)],
      ['b', load(95)],
      ['c', load(92)],
    ]);
    expect(strategy.choose(abc, input({ loads: allHot, tankCounts, peers }))).toBe('b');
  });

  it('should allow a share of the emptiest count as slack on large servers', () => {
    expect(tubeCeiling(0)).toBe(8);
    expect(tubeCeiling(10)).toBe(18);
    expect(tubeCeiling(100)).toBe(125);
    expect(tubeCeiling(100, { extraTanks: 0, extraShare: 0 })).toBe(100);
    expect(() => followTubes(fewestTanks(), { extraTanks: -1 })).toThrow(RangeError);
    expect(() => followTubes(fewestTanks(), { thresholds: { busyCpuPercent: -5 } })).toThrow(RangeError);
  });

  it('should keep chains of connected tanks together and the spread within the slack', () => {
    // 30 clusters of 5 tanks, each tank connected to the one before, placed one after another
    // onto 3 servers the way the gateway does (each placement counted at once).
    const strategy = followTubes(fewestTanks(), { extraTanks: 4 });
    const tankCounts: Record<string, number> = { a: 0, b: 0, c: 0 };
    let local = 0;
    let tubes = 0;
    for (let cluster = 0; cluster < 30; cluster++) {
      let previous: string | undefined;
      for (let i = 0; i < 5; i++) {
        const peers = previous === undefined ? {} : { [previous]: 1 };
        const chosen = strategy.choose(abc, input({ tankCounts, peers }))!;
        if (previous !== undefined) {
          tubes++;
          if (chosen === previous) local++;
        }
        tankCounts[chosen] = (tankCounts[chosen] ?? 0) + 1;
        const values = Object.values(tankCounts);
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(5);
        previous = chosen;
      }
    }
    expect(local / tubes).toBeGreaterThanOrEqual(0.9);
    expect(Object.values(tankCounts)).toEqual([50, 50, 50]);
  });
});

describe('defaultPlacement with tubes', () => {
  it('should put health and region before tubes', () => {
    const placement = defaultPlacement();
    const peers = { b: 2 };
    const tankCounts = { a: 0, b: 1 };
    expect(placement.choose([server('a'), server('b')], input({ tankCounts, peers }))).toBe('b');
    expect(
      placement.choose([server('a'), server('b', { status: 'warning' })], input({ tankCounts, peers })),
    ).toBe('a');
    expect(
      placement.choose(
        [server('a', { region: 'us' }), server('b', { region: 'eu' })],
        input({ tankCounts, peers, regionHint: 'us' }),
      ),
    ).toBe('a');
  });

  it('should ignore tubes when built with tubes: false', () => {
    const input_ = input({ tankCounts: { a: 0, b: 1 }, peers: { b: 2 } });
    expect(defaultPlacement({}, false).choose([server('a'), server('b')], input_)).toBe('a');
    expect(defaultPlacement({}, { extraTanks: 0 }).choose([server('a'), server('b')], input_)).toBe('a');
  });
});
