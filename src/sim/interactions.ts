/**
 * @module
 * The once-per-tick pass over neighbouring fish pairs, found through the grid: it sums the
 * separation and schooling pulls the fish update steers by, and lets fish in contact play poker
 * or mate. Each pair is visited once (a half-stencil: own cell onward, right, and the row below).
 */
import { CONTACT_RANGE, MATING_RANGE, NEIGHBOUR_RANGE, SEPARATION_RANGE } from './constants.ts';
import { buildGrid } from './grid.ts';
import { playHand, stakeLimit, willingToPlay } from './poker.ts';
import { canMate, tryMate } from './reproduction.ts';
import type { World } from './world.ts';

const NEIGHBOUR2 = NEIGHBOUR_RANGE * NEIGHBOUR_RANGE;
const SEPARATION2 = SEPARATION_RANGE * SEPARATION_RANGE;
const CONTACT2 = CONTACT_RANGE * CONTACT_RANGE;
const MATING2 = MATING_RANGE * MATING_RANGE;

/** Bits of `fish.ready`, computed once per tick and refreshed for fish that just interacted. */
const READY_POKER = 1;
const READY_MATE = 2;

function readiness(world: World, i: number): number {
  return (willingToPlay(world, i) ? READY_POKER : 0) | (canMate(world, i) ? READY_MATE : 0);
}

export function interact(world: World): void {
  const f = world.fish;
  const n = f.count;
  const grid = world.grid;
  buildGrid(grid, f.x, f.y, n);
  f.pushX.fill(0, 0, n);
  f.pushY.fill(0, 0, n);
  f.flockX.fill(0, 0, n);
  f.flockY.fill(0, 0, n);
  for (let i = 0; i < n; i++) f.ready[i] = readiness(world, i);
  const { x, y, vx, vy, pushX, pushY, flockX, flockY, ready } = f;
  const { cols, rows, cellStart, items, cellOf } = grid;
  for (let p = 0; p < n; p++) {
    const i = items[p];
    const c = cellOf[i];
    const cx = c % cols;
    const cy = (c - cx) / cols;
    const xi = x[i];
    const yi = y[i];
    // Cells of a row are contiguous in `items`, so the half-stencil is two runs: the rest of this
    // fish's own cell plus the cell to its right, then the three cells below it.
    for (let run = 0; run < 2; run++) {
      let q: number;
      let qEnd: number;
      if (run === 0) {
        q = p + 1;
        qEnd = cellStart[cy * cols + Math.min(cx + 2, cols)];
      } else {
        if (cy + 1 >= rows) break;
        const row = (cy + 1) * cols;
        q = cellStart[row + Math.max(cx - 1, 0)];
        qEnd = cellStart[row + Math.min(cx + 2, cols)];
      }
      for (; q < qEnd; q++) {
        const j = items[q];
        const dx = x[j] - xi;
        const dy = y[j] - yi;
        const d2 = dx * dx + dy * dy;
        if (d2 >= NEIGHBOUR2) continue;
        // Schooling: each feels the other's heading and a weak pull toward it. Done inline:
        // calling out with float arguments would box them on every pair.
        flockX[i] += vx[j] + 0.02 * dx;
        flockY[i] += vy[j] + 0.02 * dy;
        flockX[j] += vx[i] - 0.02 * dx;
        flockY[j] += vy[i] - 0.02 * dy;
        if (d2 < SEPARATION2 && d2 > 0) {
          const w = (SEPARATION2 - d2) / (SEPARATION2 * Math.sqrt(d2));
          pushX[i] -= dx * w;
          pushY[i] -= dy * w;
          pushX[j] += dx * w;
          pushY[j] += dy * w;
        }
        if ((ready[i] & ready[j]) !== 0 && d2 < MATING2) meet(world, i, j);
      }
    }
  }
}

/** Two fish, both ready for something, within mating range: poker in contact, else mating. */
function meet(world: World, i: number, j: number): void {
  const f = world.fish;
  const both = f.ready[i] & f.ready[j];
  const dx = f.x[j] - f.x[i];
  const dy = f.y[j] - f.y[i];
  const d2 = dx * dx + dy * dy;
  if (d2 < CONTACT2 && both & READY_POKER && stakeLimit(world, i, j) >= 1) {
    playHand(world, i, j);
  } else if (both & READY_MATE) {
    if (!tryMate(world, i, j)) return;
  } else {
    return;
  }
  f.ready[i] = readiness(world, i);
  f.ready[j] = readiness(world, j);
}
