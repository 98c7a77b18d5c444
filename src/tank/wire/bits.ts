/**
 * @module
 * The bit stream that carries position residuals: Rice codes (unary quotient, `k` remainder
 * bits) with an escape to a raw value, written most significant bit first. Residuals of a good
 * prediction are mostly a few units, so a fish costs about 5 bits a coordinate instead of a byte.
 */

import { WireError } from './errors.ts';
import { RICE_ESCAPE, RICE_MAX_K, RICE_RAW_BITS } from './format.ts';
import { type ByteReader, type ByteWriter, ensure, truncated } from './varint.ts';

/** Appends the low `n` (≤ 24) bits of `v`. */
function writeBits(w: ByteWriter, v: number, n: number): void {
  const acc = (w.acc << n) | (v & ((1 << n) - 1));
  let nbits = w.nbits + n;
  if (w.pos + 4 > w.buf.length) ensure(w, 4);
  while (nbits >= 8) {
    nbits -= 8;
    w.buf[w.pos++] = acc >>> nbits;
  }
  w.acc = acc & ((1 << nbits) - 1);
  w.nbits = nbits;
}

/**
 * Writes zig-zag values `values[from..to)` (each < 2^17) with parameter `k`. The bit
 * accumulator lives in locals for the run, which is most of the encoder's output.
 */
export function writeRiceRun(w: ByteWriter, values: Int32Array, from: number, to: number, k: number): void {
  // At most 33 bits a value.
  ensure(w, 5 * (to - from) + 4);
  const buf = w.buf;
  let pos = w.pos;
  let acc = w.acc;
  let nbits = w.nbits;
  const mask = (1 << k) - 1;
  for (let i = from; i < to; i++) {
    const z = values[i];
    const q = z >>> k;
    let bits: number;
    let n: number;
    if (q < RICE_ESCAPE && q + 1 + k <= 24) {
      // q one-bits, a zero-bit and the remainder in one go.
      bits = (((1 << q) - 1) << (k + 1)) | (z & mask);
      n = q + 1 + k;
    } else {
      // Rare: flush the long codes through the general path.
      w.pos = pos;
      w.acc = acc;
      w.nbits = nbits;
      writeLong(w, z, q, k);
      pos = w.pos;
      acc = w.acc;
      nbits = w.nbits;
      continue;
    }
    acc = (acc << n) | bits;
    nbits += n;
    while (nbits >= 8) {
      nbits -= 8;
      buf[pos++] = acc >>> nbits;
    }
    acc &= (1 << nbits) - 1;
  }
  w.pos = pos;
  w.acc = acc;
  w.nbits = nbits;
}

function writeLong(w: ByteWriter, z: number, q: number, k: number): void {
  if (q >= RICE_ESCAPE) {
    writeBits(w, (1 << RICE_ESCAPE) - 1, RICE_ESCAPE);
    writeBits(w, z, RICE_RAW_BITS);
  } else {
    writeBits(w, ((1 << q) - 1) << 1, q + 1);
    writeBits(w, z, k);
  }
}

/** Pads the stream to a whole byte with zero bits. */
export function endBits(w: ByteWriter): void {
  if (w.nbits > 0) writeBits(w, 0, 8 - w.nbits);
}

function riceCost(z: number, k: number): number {
  const q = z >>> k;
  return q < RICE_ESCAPE ? q + 1 + k : RICE_ESCAPE + RICE_RAW_BITS;
}

/**
 * The cheapest `k` for `values[from..to)`. For geometric residuals the optimum is within one
 * of log2(mean), so one pass prices those three.
 */
export function chooseRiceK(values: Int32Array, from: number, to: number): number {
  if (to <= from) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i];
  const mean = sum / (to - from);
  const mid = mean < 2 ? 1 : Math.min(RICE_MAX_K - 1, Math.floor(Math.log2(mean)));
  let below = 0;
  let at = 0;
  let above = 0;
  for (let i = from; i < to; i++) {
    const z = values[i];
    below += riceCost(z, mid - 1);
    at += riceCost(z, mid);
    above += riceCost(z, mid + 1);
  }
  if (below <= at && below <= above) return mid - 1;
  return at <= above ? mid : mid + 1;
}

function readBits(r: ByteReader, n: number): number {
  while (r.nbits < n) {
    if (r.pos >= r.end) throw truncated();
    r.acc = ((r.acc << 8) | r.buf[r.pos++]) >>> 0;
    r.nbits += 8;
  }
  r.nbits -= n;
  const v = (r.acc >>> r.nbits) & ((1 << n) - 1);
  r.acc &= (1 << r.nbits) - 1;
  return v;
}

/** Reads one value written by `writeRice` with parameter `k`. */
export function readRice(r: ByteReader, k: number): number {
  let q = 0;
  while (q < RICE_ESCAPE && readBits(r, 1) === 1) q++;
  if (q === RICE_ESCAPE) return readBits(r, RICE_RAW_BITS);
  return k > 0 ? (q << k) | readBits(r, k) : q;
}

/** Ends the bit stream: the byte reader goes on after its padding, which must be zero. */
export function endBitsRead(r: ByteReader): void {
  if (r.acc !== 0) throw new WireError('malformed', 'non-zero padding after the bit stream');
  r.acc = 0;
  r.nbits = 0;
}
