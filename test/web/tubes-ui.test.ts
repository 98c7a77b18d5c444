/**
 * @module
 * The browser's tube arithmetic without a browser: where a mouth sits on the canvas and which
 * fish went through it (`web/src/tube-geometry.ts`), and the dashboard graph's layout — tanks
 * grouped by server, tubes as edges marked local or not (`web/src/network-layout.ts`).
 */
import { describe, expect, it } from 'vitest';
import { layoutNetwork, UNPLACED } from '../../web/src/network-layout.ts';
import { distanceToMouth, mouthSegment, nearestFish } from '../../web/src/tube-geometry.ts';

describe('tube mouths on the canvas', () => {
  it('should put each mouth on its edge, clamped, pointing into the tank', () => {
    expect(mouthSegment({ mouth: 'left', span: [200, 320] }, 1088, 612)).toEqual({
      x1: 0,
      y1: 200,
      x2: 0,
      y2: 320,
      inward: [1, 0],
    });
    expect(mouthSegment({ mouth: 'right', span: [320, 200] }, 1088, 612)).toMatchObject({
      x1: 1088,
      y1: 200,
      y2: 320,
      inward: [-1, 0],
    });
    expect(mouthSegment({ mouth: 'top', span: [1000, 1200] }, 1088, 612)).toMatchObject({
      y1: 0,
      x1: 1000,
      x2: 1088,
      inward: [0, 1],
    });
    expect(mouthSegment({ mouth: 'bottom', span: [-50, 40] }, 1088, 612)).toMatchObject({
      y1: 612,
      x1: 0,
      x2: 40,
      inward: [0, -1],
    });
  });

  it('should find the fish nearest the mouth, within the distance given', () => {
    const mouth = mouthSegment({ mouth: 'right', span: [100, 200] }, 1000, 600);
    expect(distanceToMouth(mouth, 990, 150)).toBe(10);
    expect(distanceToMouth(mouth, 1000, 230)).toBe(30);
    const fish = [
      { id: 1, x: 500, y: 150 },
      { id: 2, x: 960, y: 260 },
      { id: 3, x: 970, y: 120 },
    ];
    expect(nearestFish(fish, mouth)?.id).toBe(3);
    expect(nearestFish(fish, mouth, 20)).toBeUndefined();
    expect(nearestFish([], mouth)).toBeUndefined();
  });
});

describe('network graph layout', () => {
  const tanks = [
    { tank_id: 't1', name: 'Reef', server_id: 'server-1' },
    { tank_id: 't2', name: 'Lagoon', server_id: 'server-1' },
    { tank_id: 't3', name: 'Pond', server_id: 'server-2' },
    { tank_id: 't4', name: 'Lost', server_id: null },
  ];
  const tubes = [
    { connection_id: 'c1', source_tank_id: 't1', dest_tank_id: 't2', direction: 'both' as const },
    { connection_id: 'c2', source_tank_id: 't1', dest_tank_id: 't3', direction: 'one_way' as const },
    { connection_id: 'c3', source_tank_id: 't1', dest_tank_id: 'gone', direction: 'both' as const },
  ];

  it('should group tanks by server, an empty server too, and tanks without one apart', () => {
    const layout = layoutNetwork(['server-2', 'server-3', 'server-1'], tanks, tubes, { width: 900 });
    expect(layout.groups.map((g) => g.server_id)).toEqual(['server-1', 'server-2', 'server-3', UNPLACED]);
    for (const [id, n] of layout.nodes) {
      const group = layout.groups.find((g) => g.server_id === n.server_id)!;
      expect(n.x, id).toBeGreaterThan(group.x);
      expect(n.x, id).toBeLessThan(group.x + group.width);
      expect(n.y, id).toBeLessThan(group.y + group.height);
    }
    expect(layout.nodes.get('t4')?.server_id).toBe(UNPLACED);
    // Columns do not overlap.
    const [a, b] = layout.groups;
    expect(a!.x + a!.width).toBeLessThan(b!.x);
  });

  it('should draw a tube between two drawn tanks, local when they share a server', () => {
    const layout = layoutNetwork(['server-1', 'server-2'], tanks, tubes, { width: 900 });
    expect(layout.edges.map((e) => [e.connection_id, e.local])).toEqual([
      ['c1', true],
      ['c2', false],
    ]);
    // The curve starts at its source tank and ends at its destination.
    const [, x1, y1, , , x2, y2] = layout.edges[0]!.path.split(/[MQ ]+/).map(Number);
    const t1 = layout.nodes.get('t1')!;
    const t2 = layout.nodes.get('t2')!;
    for (const [got, want] of [
      [x1, t1.x],
      [y1, t1.y],
      [x2, t2.x],
      [y2, t2.y],
    ])
      expect(got).toBeCloseTo(want!, 1);
  });

  it('should wrap a crowded server into rows and grow the graph to fit', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      tank_id: `m${i}`,
      name: `Tank ${String(i).padStart(2, '0')}`,
      server_id: 'server-1',
    }));
    const small = layoutNetwork(['server-1', 'server-2'], many.slice(0, 3), [], { width: 600 });
    const big = layoutNetwork(['server-1', 'server-2'], many, [], { width: 600 });
    expect(big.height).toBeGreaterThan(small.height);
    const spots = new Set([...big.nodes.values()].map((n) => `${n.x},${n.y}`));
    expect(spots.size).toBe(40);
  });
});
