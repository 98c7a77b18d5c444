/**
 * @module
 * Typed-array columns for a struct-of-arrays store, all carved from one ArrayBuffer so a tank's
 * data sits together in memory: with a thousand tanks stepped in turn, that keeps each tank's
 * fish in a few contiguous pages instead of dozens of scattered allocations.
 */

export interface ColumnSpec<F extends string, I extends string, U extends string> {
  f64: readonly F[];
  i32: readonly I[];
  u8: readonly U[];
  /** Further unnamed Float64 columns (genes), returned in `extra`. */
  extraF64?: number;
}

export type Columns<F extends string, I extends string, U extends string> = Record<F, Float64Array> &
  Record<I, Int32Array> &
  Record<U, Uint8Array> & {
    /** The unnamed Float64 columns, in order. */
    extra: Float64Array[];
    /** Every column grouped by type, for copying a row (swap-remove, zeroing a new slot). */
    all: ColumnGroups;
  };

/**
 * Columns by element type: a loop over one group stays monomorphic, so copying a row moves raw
 * numbers instead of boxing each Float64 value through a generic element access.
 */
export interface ColumnGroups {
  f64: Float64Array[];
  i32: Int32Array[];
  u8: Uint8Array[];
}

/** Copies row `from` to row `to` in every column. */
export function copyRow(g: ColumnGroups, from: number, to: number): void {
  for (const col of g.f64) col[to] = col[from];
  for (const col of g.i32) col[to] = col[from];
  for (const col of g.u8) col[to] = col[from];
}

/** Zeroes row `i` in every column. */
export function clearRow(g: ColumnGroups, i: number): void {
  for (const col of g.f64) col[i] = 0;
  for (const col of g.i32) col[i] = 0;
  for (const col of g.u8) col[i] = 0;
}

/**
 * @example
 * ```ts
 * const cols = createColumns(100, { f64: ['x', 'y'], i32: ['age'], u8: ['flag'] });
 * cols.x[3] = 1.5;
 * ```
 */
export function createColumns<const F extends string, const I extends string, const U extends string>(
  capacity: number,
  { f64, i32, u8, extraF64 = 0 }: ColumnSpec<F, I, U>,
): Columns<F, I, U> {
  const f64Count = f64.length + extraF64;
  // Float64 columns first, then Int32, then Uint8, so every view stays aligned.
  const buffer = new ArrayBuffer(capacity * (8 * f64Count + 4 * i32.length + u8.length));
  let offset = 0;
  const all: ColumnGroups = { f64: [], i32: [], u8: [] };
  const float = () => {
    const column = new Float64Array(buffer, offset, capacity);
    offset += 8 * capacity;
    all.f64.push(column);
    return column;
  };
  const out: Record<string, unknown> = {};
  for (const name of f64) out[name] = float();
  const extra: Float64Array[] = [];
  for (let k = 0; k < extraF64; k++) extra.push(float());
  for (const name of i32) {
    const column = new Int32Array(buffer, offset, capacity);
    offset += 4 * capacity;
    all.i32.push(column);
    out[name] = column;
  }
  for (const name of u8) {
    const column = new Uint8Array(buffer, offset, capacity);
    offset += capacity;
    all.u8.push(column);
    out[name] = column;
  }
  out.extra = extra;
  out.all = all;
  return out as Columns<F, I, U>;
}
