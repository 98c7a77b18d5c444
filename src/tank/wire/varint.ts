/**
 * @module
 * Byte-level writing and reading: a growable writer the encoder reuses across frames and a
 * bounds-checked reader that throws `WireError` instead of reading past the end. Varints are
 * unsigned LEB128 limited to 32 bits; signed values travel zig-zag encoded.
 */
import { WireError } from './errors.ts';

/** A reusable output buffer: `pos` bytes of `buf` are written. */
export interface ByteWriter {
  buf: Uint8Array;
  pos: number;
  /** Pending bits of the bit stream (see `bits.ts`), most significant first. */
  acc: number;
  nbits: number;
}

export function createByteWriter(capacity = 1024): ByteWriter {
  return { buf: new Uint8Array(capacity), pos: 0, acc: 0, nbits: 0 };
}

/** Makes room for `n` more bytes, doubling so a busy tank stops growing after a few frames. */
export function ensure(w: ByteWriter, n: number): void {
  if (w.pos + n <= w.buf.length) return;
  let size = w.buf.length * 2;
  while (size < w.pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(w.buf.subarray(0, w.pos));
  w.buf = next;
}

export function writeU8(w: ByteWriter, v: number): void {
  ensure(w, 1);
  w.buf[w.pos++] = v;
}

export function writeU16(w: ByteWriter, v: number): void {
  ensure(w, 2);
  w.buf[w.pos++] = v;
  w.buf[w.pos++] = v >>> 8;
}

export function writeU32(w: ByteWriter, v: number): void {
  ensure(w, 4);
  w.buf[w.pos++] = v;
  w.buf[w.pos++] = v >>> 8;
  w.buf[w.pos++] = v >>> 16;
  w.buf[w.pos++] = v >>> 24;
}

/** Unsigned varint of a uint32. */
export function writeUv(w: ByteWriter, v: number): void {
  ensure(w, 5);
  let x = v >>> 0;
  while (x >= 0x80) {
    w.buf[w.pos++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  w.buf[w.pos++] = x;
}

export function zigzag(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

export function unzigzag(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}

/** Signed varint of an int32. */
export function writeZz(w: ByteWriter, n: number): void {
  writeUv(w, zigzag(n));
}

/** A frame being read: `pos` advances up to `end`. */
export interface ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  acc: number;
  nbits: number;
}

export function createByteReader(buf: Uint8Array): ByteReader {
  return { buf, pos: 0, end: buf.length, acc: 0, nbits: 0 };
}

export function truncated(): WireError {
  return new WireError('truncated', 'the frame ends before its content does');
}

function need(r: ByteReader, n: number): void {
  if (r.pos + n > r.end) throw truncated();
}

export function readU8(r: ByteReader): number {
  need(r, 1);
  return r.buf[r.pos++];
}

export function readU16(r: ByteReader): number {
  need(r, 2);
  const v = r.buf[r.pos] | (r.buf[r.pos + 1] << 8);
  r.pos += 2;
  return v;
}

export function readU32(r: ByteReader): number {
  need(r, 4);
  const b = r.buf;
  const p = r.pos;
  r.pos += 4;
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function readUv(r: ByteReader): number {
  let v = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const b = readU8(r);
    // The fifth byte holds only the top 4 bits of a uint32.
    if (shift === 28 && b > 0x0f) throw new WireError('malformed', 'varint longer than 32 bits');
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return v >>> 0;
  }
  throw new WireError('malformed', 'varint longer than 32 bits');
}

export function readZz(r: ByteReader): number {
  return unzigzag(readUv(r));
}
