/**
 * @module
 * Draws a tank's tube mouths on the viewer's canvas, over the scene: a dark opening on the edge
 * with a rim that glows when a fish goes through (amber leaving, green arriving), the name of
 * the tank it leads to, a fading ghost of a fish swimming into the mouth, and a ring around a
 * fish that just came in. The state (which fish, since when) lives in `tubes-view.ts`.
 */
import type { FishState } from '../../src/tank/wire/index.ts';
import { type MouthSegment, mouthCentre, type TubeEnd } from './tube-geometry.ts';

/** How long a pulse, a ghost and an arrival ring last on screen. */
export const PULSE_MS = 1500;
export const GHOST_MS = 800;
export const RING_MS = 3000;

export interface TubeMarks {
  tubes: Array<{
    tube: TubeEnd;
    segment: MouthSegment;
    label: string;
    /** ⇄ both ways, → out of this tank, ← into it. */
    arrow: string;
    pulse?: { kind: 'left' | 'arrived'; at: number };
  }>;
  /** Fish that just left: drawn sliding into their mouth and fading. */
  ghosts: Array<{ fish: FishState; segment: MouthSegment; at: number }>;
  /** Entity ids of fish that just arrived, with when. */
  rings: Map<number, number>;
}

const DEPTH = 14;
const PULSE_COLOURS = { left: '240, 185, 58', arrived: '60, 207, 145' } as const;

function drawMouth(g: CanvasRenderingContext2D, mark: TubeMarks['tubes'][number], now: number): void {
  const { segment: s, label, arrow, pulse } = mark;
  const [ix, iy] = s.inward;
  // The opening: a band just inside the edge, darker toward the wall.
  const gradient = g.createLinearGradient(s.x1, s.y1, s.x1 + ix * DEPTH, s.y1 + iy * DEPTH);
  gradient.addColorStop(0, 'rgba(4, 14, 24, 0.95)');
  gradient.addColorStop(1, 'rgba(4, 14, 24, 0)');
  g.fillStyle = gradient;
  g.beginPath();
  g.moveTo(s.x1, s.y1);
  g.lineTo(s.x2, s.y2);
  g.lineTo(s.x2 + ix * DEPTH, s.y2 + iy * DEPTH);
  g.lineTo(s.x1 + ix * DEPTH, s.y1 + iy * DEPTH);
  g.closePath();
  g.fill();
  const glow = pulse ? Math.max(0, 1 - (now - pulse.at) / PULSE_MS) : 0;
  g.strokeStyle =
    glow > 0 ? `rgba(${PULSE_COLOURS[pulse!.kind]}, ${0.4 + 0.6 * glow})` : 'rgba(143, 211, 255, 0.7)';
  g.lineWidth = 4 + 4 * glow;
  g.lineCap = 'round';
  g.beginPath();
  g.moveTo(s.x1 + ix * 2, s.y1 + iy * 2);
  g.lineTo(s.x2 + ix * 2, s.y2 + iy * 2);
  g.stroke();
  const [cx, cy] = mouthCentre(s);
  g.font = '12px system-ui';
  g.fillStyle = 'rgba(219, 233, 247, 0.9)';
  g.textAlign = ix > 0 ? 'left' : ix < 0 ? 'right' : 'center';
  g.textBaseline = iy > 0 ? 'top' : iy < 0 ? 'bottom' : 'middle';
  g.fillText(`${arrow} ${label}`, cx + ix * (DEPTH + 6), cy + iy * (DEPTH + 6));
  g.textAlign = 'start';
  g.textBaseline = 'alphabetic';
}

function drawGhost(g: CanvasRenderingContext2D, ghost: TubeMarks['ghosts'][number], now: number): void {
  const t = Math.min(1, (now - ghost.at) / GHOST_MS);
  const [cx, cy] = mouthCentre(ghost.segment);
  const x = ghost.fish.x + (cx - ghost.fish.x) * t;
  const y = ghost.fish.y + (cy - ghost.fish.y) * t;
  const r = (6 + ghost.fish.size * 12) * (1 - 0.6 * t);
  g.fillStyle = `hsla(${Math.round(ghost.fish.hue * 360)}, 70%, 60%, ${0.8 * (1 - t)})`;
  g.beginPath();
  g.ellipse(x, y, r, r * 0.55, Math.atan2(cy - ghost.fish.y, cx - ghost.fish.x), 0, Math.PI * 2);
  g.fill();
}

function drawRing(g: CanvasRenderingContext2D, fish: FishState, since: number): void {
  const fade = 1 - since / RING_MS;
  g.strokeStyle = `rgba(60, 207, 145, ${0.9 * fade})`;
  g.lineWidth = 2;
  g.beginPath();
  g.arc(fish.x, fish.y, 18 + fish.size * 14 + 6 * Math.sin(since / 150), 0, Math.PI * 2);
  g.stroke();
}

/**
 * Draws the mouths, the ghosts of fish leaving and the rings of fish arriving, at page time `now`.
 *
 * @example
 * ```ts
 * drawScene(g, scene);
 * drawTubes(g, tubes.marks(now), scene.fish, now);
 * ```
 */
export function drawTubes(
  g: CanvasRenderingContext2D,
  marks: TubeMarks,
  fish: readonly FishState[],
  now: number,
): void {
  for (const ghost of marks.ghosts) if (now - ghost.at < GHOST_MS) drawGhost(g, ghost, now);
  for (const f of fish) {
    const at = marks.rings.get(f.id);
    if (at !== undefined && now - at < RING_MS) drawRing(g, f, now - at);
  }
  for (const mark of marks.tubes) drawMouth(g, mark, now);
}
