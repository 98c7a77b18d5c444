/**
 * @module
 * Uniform spatial grid for fish neighbour queries, rebuilt every tick by counting sort into
 * preallocated arrays: no allocation, and fish inside a cell stay in index order, so pair order
 * (and with it the RNG draw order) is deterministic.
 */

export interface Grid {
  readonly cols: number;
  readonly rows: number;
  readonly inv: number;
  /** Fish of cell c are `items[cellStart[c]] … items[cellStart[c + 1] - 1]`. */
  readonly cellStart: Int32Array;
  readonly items: Int32Array;
  readonly cursor: Int32Array;
  readonly cellOf: Int32Array;
}

export function createGrid({
  width,
  height,
  cellSize,
  capacity,
}: {
  width: number;
  height: number;
  cellSize: number;
  capacity: number;
}): Grid {
  const cols = Math.max(1, Math.ceil(width / cellSize));
  const rows = Math.max(1, Math.ceil(height / cellSize));
  const cells = cols * rows;
  // One buffer for all four arrays keeps a tank's grid in a few adjacent cache lines.
  const buffer = new ArrayBuffer(4 * (2 * cells + 1 + 2 * capacity));
  return {
    cols,
    rows,
    inv: 1 / cellSize,
    cellStart: new Int32Array(buffer, 0, cells + 1),
    cursor: new Int32Array(buffer, 4 * (cells + 1), cells),
    items: new Int32Array(buffer, 4 * (2 * cells + 1), capacity),
    cellOf: new Int32Array(buffer, 4 * (2 * cells + 1 + capacity), capacity),
  };
}

/** Sorts fish `0 … count-1` into cells by position. */
export function buildGrid(grid: Grid, x: Float64Array, y: Float64Array, count: number): void {
  const { cols, rows, inv, cellStart, items, cursor, cellOf } = grid;
  cellStart.fill(0);
  const maxCol = cols - 1;
  const maxRow = rows - 1;
  for (let i = 0; i < count; i++) {
    const cx = Math.max(0, Math.min(maxCol, (x[i] * inv) | 0));
    const cy = Math.max(0, Math.min(maxRow, (y[i] * inv) | 0));
    const c = cy * cols + cx;
    cellOf[i] = c;
    cellStart[c + 1]++;
  }
  const cells = cols * rows;
  for (let c = 0; c < cells; c++) {
    cellStart[c + 1] += cellStart[c];
    cursor[c] = cellStart[c];
  }
  for (let i = 0; i < count; i++) items[cursor[cellOf[i]]++] = i;
}
