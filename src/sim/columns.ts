/**
 * @module
 * Typed-array columns for a struct-of-arrays store, all carved from one ArrayBuffer so a tank's
 * data sits together in memory: with a thousand tanks stepped in turn, that keeps each tank's
 * fish in a few contiguous pages instead of dozens of scattered allocations.
 */

export type Column = Float64Array | Int32Array | Uint8Array;

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
    /** Every column, for copying a row (swap-remove, zeroing a new slot). */
    all: Column[];
  };

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
  const all: Column[] = [];
  const take = <T extends Column>(make: (b: ArrayBuffer, o: number, n: number) => T, bytes: number): T => {
    const column = make(buffer, offset, capacity);
    offset += bytes * capacity;
    all.push(column);
    return column;
  };
  const out: Record<string, unknown> = {};
  for (const name of f64) out[name] = take((b, o, n) => new Float64Array(b, o, n), 8);
  const extra: Float64Array[] = [];
  for (let k = 0; k < extraF64; k++) extra.push(take((b, o, n) => new Float64Array(b, o, n), 8));
  for (const name of i32) out[name] = take((b, o, n) => new Int32Array(b, o, n), 4);
  for (const name of u8) out[name] = take((b, o, n) => new Uint8Array(b, o, n), 1);
  out.extra = extra;
  out.all = all;
  return out as Columns<F, I, U>;
}
