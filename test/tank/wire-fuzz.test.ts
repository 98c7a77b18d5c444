import { describe, expect, it } from 'vitest';
import { createWorld, frameView, spawnFish, step } from '../../src/sim/index.ts';
import {
  createFrameDecoder,
  createFrameEncoder,
  type FrameDecoder,
  WireError,
} from '../../src/tank/wire/index.ts';

/** A small seeded generator (mulberry32), so a failing mutation can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A keyframe and the deltas after it, from a busy tank. */
function recordFrames(): { keyframe: Uint8Array; deltas: Uint8Array[] } {
  const world = createWorld({ seed: 5, uidPrefix: 'f', initialFish: 60, maxFish: 100 });
  for (let t = 0; t < 200; t++) step(world);
  const encoder = createFrameEncoder({ keyframeEvery: 1_000_000 });
  const keyframe = encoder
    .encode(frameView(world), {
      tankStats: { maxGeneration: 1, births: 2, deaths: 3, pokerHands: 4, totalEnergy: 5 },
    })
    .keyframe();
  const deltas: Uint8Array[] = [];
  for (let n = 0; n < 40; n++) {
    for (let t = 0; t < 1 + (n % 2); t++) step(world);
    if (n % 7 === 0) spawnFish(world);
    deltas.push(encoder.encode(frameView(world)).delta);
  }
  return { keyframe, deltas };
}

/** Decodes and reports how it ended: a frame, null, or a WireError code. Anything else is thrown. */
function outcome(decoder: FrameDecoder, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes) === null ? 'null' : 'frame';
  } catch (err) {
    if (err instanceof WireError) return err.code;
    throw err;
  }
}

function primed(keyframe: Uint8Array, deltas: Uint8Array[], upTo: number): FrameDecoder {
  const decoder = createFrameDecoder();
  decoder.decode(keyframe);
  for (let n = 0; n < upTo; n++) decoder.decode(deltas[n]);
  return decoder;
}

describe('wire decoder on bad bytes', () => {
  const { keyframe, deltas } = recordFrames();

  it('should report every strict prefix of a keyframe and of a delta as truncated', () => {
    for (let len = 0; len < keyframe.length; len++) {
      expect(outcome(createFrameDecoder(), keyframe.subarray(0, len))).toBe('truncated');
    }
    const delta = deltas[5];
    for (let len = 0; len < delta.length; len++) {
      // Header bytes cut short are truncated too; a whole header of the wrong base would be null.
      expect(outcome(primed(keyframe, deltas, 5), delta.subarray(0, len))).toBe('truncated');
    }
  });

  it('should name a wrong magic byte, an unknown kind and trailing bytes', () => {
    const bad = keyframe.slice();
    bad[0] = 0x00;
    expect(outcome(createFrameDecoder(), bad)).toBe('bad_magic');
    const kind = keyframe.slice();
    kind[1] = 9;
    expect(outcome(createFrameDecoder(), kind)).toBe('bad_kind');
    const long = new Uint8Array(keyframe.length + 1);
    long.set(keyframe);
    expect(outcome(createFrameDecoder(), long)).toBe('malformed');
  });

  it('should end every random mutation in a frame, null or a WireError, and wait for a keyframe after an error', () => {
    const random = rng(2024);
    const counts = new Map<string, number>();
    let slowest = 0;
    for (let run = 0; run < 600; run++) {
      const target = Math.floor(random() * (deltas.length + 1));
      const source = target === deltas.length ? keyframe : deltas[target];
      const bytes = mutate(source, random);
      const decoder = target === deltas.length ? createFrameDecoder() : primed(keyframe, deltas, target);
      const started = performance.now();
      const result = outcome(decoder, bytes);
      slowest = Math.max(slowest, performance.now() - started);
      counts.set(result, (counts.get(result) ?? 0) + 1);
      if (result !== 'frame' && result !== 'null') {
        expect(decoder.needsKeyframe).toBe(true);
        expect(outcome(decoder, keyframe)).toBe('frame');
        expect(decoder.needsKeyframe).toBe(false);
      }
    }
    // Most mutations must be caught; a few (a flipped bit in a value) decode to a different frame.
    const errors = [...counts].filter(([k]) => k !== 'frame' && k !== 'null').reduce((s, [, n]) => s + n, 0);
    expect(errors).toBeGreaterThan(300);
    expect(slowest).toBeLessThan(200);
  });

  it('should refuse random bytes', () => {
    const random = rng(7);
    for (let run = 0; run < 300; run++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      if (run % 2 === 0 && bytes.length > 1) {
        bytes[0] = 0xf1;
        bytes[1] = 1 + (run % 4 === 0 ? 1 : 0);
      }
      expect(['frame', 'null', 'truncated', 'malformed', 'bad_magic', 'bad_kind']).toContain(
        outcome(createFrameDecoder(), bytes),
      );
    }
  });
});

/** One to four random edits: flip bits, overwrite, cut, insert or delete bytes. */
function mutate(source: Uint8Array, random: () => number): Uint8Array {
  let bytes = source.slice();
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * bytes.length);
    switch (Math.floor(random() * 5)) {
      case 0:
        bytes[at] ^= 1 << Math.floor(random() * 8);
        break;
      case 1:
        bytes[at] = Math.floor(random() * 256);
        break;
      case 2:
        bytes = bytes.slice(0, at);
        break;
      case 3: {
        const grown = new Uint8Array(bytes.length + 1);
        grown.set(bytes.subarray(0, at));
        grown[at] = Math.floor(random() * 256);
        grown.set(bytes.subarray(at), at + 1);
        bytes = grown;
        break;
      }
      default: {
        const shrunk = new Uint8Array(Math.max(0, bytes.length - 1));
        shrunk.set(bytes.subarray(0, at));
        shrunk.set(bytes.subarray(at + 1), at);
        bytes = shrunk;
      }
    }
  }
  return bytes;
}
