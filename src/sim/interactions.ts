/**
 * @module
 * The once-per-tick pass over neighbouring fish pairs, found through the grid: it sums the
 * separation and schooling pulls the fish update steers by, and lets fish in contact play poker
 * or mate. Each pair is visited once (own cell, then four forward cells).
 */
import { CONTACT_RANGE, MATING_RANGE, NEIGHBOUR_RANGE, SEPARATION_RANGE } from './constants.ts';
import { buildGrid } from './grid.ts';
import { playHand, stakeLimit, willingToPlay } from './poker.ts';
import { tryMate } from './reproduction.ts';
import type { World } from './world.ts';

const NEIGHBOUR2 = NEIGHBOUR_RANGE * NEIGHBOUR_RANGE;
const SEPARATION2 = SEPARATION_RANGE * SEPARATION_RANGE;
const CONTACT2 = CONTACT_RANGE * CONTACT_RANGE;
const MATING2 = MATING_RANGE * MATING_RANGE;

/** Forward neighbour cells (dx, dy) so each pair of cells is looked at once. */
const FORWARD = [1, 0, -1, 1, 0, 1, 1, 1] as const;

export function interact(world: World): void {
  const f = world.fish;
  const n = f.count;
  const grid = world.grid;
  buildGrid(grid, f.x, f.y, n);
  f.pushX.fill(0, 0, n);
  f.pushY.fill(0, 0, n);
  f.flockX.fill(0, 0, n);
  f.flockY.fill(0, 0, n);
  const { cols, rows, cellStart, items } = grid;
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < cols; cx++) {
      const c = cy * cols + cx;
      const start = cellStart[c];
      const end = cellStart[c + 1];
      if (start === end) continue;
      for (let p = start; p < end; p++) {
        for (let q = p + 1; q < end; q++) pair(world, items[p], items[q]);
      }
      for (let k = 0; k < 8; k += 2) {
        const nx = cx + FORWARD[k];
        const ny = cy + FORWARD[k + 1];
        if (nx < 0 || nx >= cols || ny >= rows) continue;
        const d = ny * cols + nx;
        const dStart = cellStart[d];
        const dEnd = cellStart[d + 1];
        for (let p = start; p < end; p++) {
          for (let q = dStart; q < dEnd; q++) pair(world, items[p], items[q]);
        }
      }
    }
  }
}

function pair(world: World, i: number, j: number): void {
  const f = world.fish;
  const dx = f.x[j] - f.x[i];
  const dy = f.y[j] - f.y[i];
  const d2 = dx * dx + dy * dy;
  if (d2 >= NEIGHBOUR2) return;
  // Schooling: each feels the other's heading and a weak pull toward it.
  f.flockX[i] += f.vx[j] + 0.02 * dx;
  f.flockY[i] += f.vy[j] + 0.02 * dy;
  f.flockX[j] += f.vx[i] - 0.02 * dx;
  f.flockY[j] += f.vy[i] - 0.02 * dy;
  if (d2 < SEPARATION2 && d2 > 0) {
    const w = (SEPARATION2 - d2) / (SEPARATION2 * Math.sqrt(d2));
    f.pushX[i] -= dx * w;
    f.pushY[i] -= dy * w;
    f.pushX[j] += dx * w;
    f.pushY[j] += dy * w;
  }
  if (d2 < CONTACT2 && willingToPlay(world, i) && willingToPlay(world, j) && stakeLimit(world, i, j) >= 1) {
    playHand(world, i, j);
  } else if (d2 < MATING2) {
    tryMate(world, i, j);
  }
}
