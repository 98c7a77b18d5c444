/**
 * @module
 * Where a tube's mouth sits on the tank's canvas, as pure arithmetic the viewer and its tests
 * share: the segment of the edge a mouth spans, the way into the tank from it, and which fish
 * is closest to it (the one that just left through it, or just came in). The shapes are the
 * server's `hello.tubes` entries (issue 22 contract): `span` is the mouth's extent along its
 * edge in the tank's own coordinates (x for top and bottom, y for left and right).
 */

export type Mouth = 'left' | 'right' | 'top' | 'bottom';

/** One tube as the tank's `hello` message lists it. */
export interface TubeEnd {
  connection_id: string;
  mouth: Mouth;
  span: [number, number];
  other_tank_id: string;
  direction: 'one_way' | 'both';
}

/** A mouth on the canvas: its two ends and the unit vector pointing into the tank. */
export interface MouthSegment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  inward: [number, number];
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/**
 * The segment of the edge a mouth covers, clamped into a `width` × `height` tank.
 *
 * @example
 * ```ts
 * mouthSegment({ mouth: 'left', span: [200, 320] }, 1088, 612); // x 0, y 200…320, inward [1, 0]
 * ```
 */
export function mouthSegment(
  { mouth, span }: Pick<TubeEnd, 'mouth' | 'span'>,
  width: number,
  height: number,
): MouthSegment {
  const along = mouth === 'left' || mouth === 'right' ? height : width;
  const from = clamp(Math.min(span[0], span[1]), 0, along);
  const to = clamp(Math.max(span[0], span[1]), 0, along);
  switch (mouth) {
    case 'left':
      return { x1: 0, y1: from, x2: 0, y2: to, inward: [1, 0] };
    case 'right':
      return { x1: width, y1: from, x2: width, y2: to, inward: [-1, 0] };
    case 'top':
      return { x1: from, y1: 0, x2: to, y2: 0, inward: [0, 1] };
    case 'bottom':
      return { x1: from, y1: height, x2: to, y2: height, inward: [0, -1] };
  }
}

/** The middle of a mouth. */
export function mouthCentre(s: MouthSegment): [number, number] {
  return [(s.x1 + s.x2) / 2, (s.y1 + s.y2) / 2];
}

/** Distance from a point to a mouth's segment. */
export function distanceToMouth(s: MouthSegment, x: number, y: number): number {
  const dx = s.x2 - s.x1;
  const dy = s.y2 - s.y1;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : clamp(((x - s.x1) * dx + (y - s.y1) * dy) / length2, 0, 1);
  return Math.hypot(x - (s.x1 + t * dx), y - (s.y1 + t * dy));
}

/**
 * The fish closest to a mouth, within `within` of it: the fish that just left through it (in
 * the last frame before it went) or just came in (in the first frame it appears). Frames carry
 * entity ids, not uids, so the viewer matches a `fish_left`/`fish_arrived` message to a fish by
 * place.
 *
 * @example
 * ```ts
 * const leaving = nearestFish(lastFrame.fish, mouthSegment(tube, 1088, 612), 80);
 * ```
 */
export function nearestFish<F extends { x: number; y: number }>(
  fish: readonly F[],
  segment: MouthSegment,
  within = Number.POSITIVE_INFINITY,
): F | undefined {
  let best: F | undefined;
  let bestDistance = within;
  for (const f of fish) {
    const d = distanceToMouth(segment, f.x, f.y);
    if (d <= bestDistance) {
      best = f;
      bestDistance = d;
    }
  }
  return best;
}
