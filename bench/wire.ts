/**
 * @module
 * Wire codec cost: bytes per second a continuous viewer receives (the keyframe it joins with,
 * then every delta, every 30th a keyframe) for tanks of 25, 100 and 200 fish broadcast at 15 and
 * 20 Hz, and the encoder's and decoder's time per frame on one core. Run: `node bench/wire.ts`
 * (or `npm run bench wire`).
 */
import {
  createWorld,
  type FrameView,
  frameView,
  spawnFish,
  step,
  TICKS_PER_SECOND,
} from '../src/sim/index.ts';
import { createFrameDecoder, createFrameEncoder } from '../src/tank/wire/index.ts';
import { type Row, recordBenchmark } from './support/index.ts';

/** Simulated seconds of broadcast per row (override with WIRE_BENCH_SECONDS). */
const SECONDS = Number(process.env.WIRE_BENCH_SECONDS ?? 60);
const KEYFRAME_EVERY = 30;
const TIMING_ROUNDS = 15;
const WARMUP_TICKS = 300;
const TARGET = 6_500;
const COLYSEUS = 13_000;

/** A frame view whose arrays are copies, so recorded frames can be encoded again later. */
function copyView(v: FrameView): FrameView {
  const copy = { ...v };
  for (const [key, value] of Object.entries(v)) {
    if (ArrayBuffer.isView(value)) (copy as Record<string, unknown>)[key] = (value as Float64Array).slice();
  }
  return copy;
}

/** Broadcast frames of one tank kept at `fish` fish: `hz` per second on a 30 Hz tick. */
function recordFrames(fish: number, hz: number): FrameView[] {
  const world = createWorld({ seed: 7000 + fish, uidPrefix: 'wb', initialFish: fish, maxFish: fish + 50 });
  for (let t = 0; t < WARMUP_TICKS; t++) step(world);
  const frames: FrameView[] = [];
  for (let n = 0; n < SECONDS * hz; n++) {
    // Ticks due by the end of this broadcast period: 2 per frame at 15 Hz, 1 and 2 at 20 Hz.
    const ticks = Math.floor(((n + 1) * TICKS_PER_SECOND) / hz) - Math.floor((n * TICKS_PER_SECOND) / hz);
    for (let t = 0; t < ticks; t++) step(world);
    while (world.fish.count < fish) spawnFish(world);
    frames.push(copyView(frameView(world)));
  }
  return frames;
}

/** What one continuous viewer receives. */
function stream(frames: FrameView[]): Uint8Array[] {
  const encoder = createFrameEncoder({ keyframeEvery: KEYFRAME_EVERY });
  return frames.map((view, n) => {
    const encoded = encoder.encode(view);
    return n === 0 ? encoded.keyframe() : encoded.delta;
  });
}

/** Best-of-rounds time per call of `run` over all frames, in µs. */
function microsPerFrame(frames: number, run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < TIMING_ROUNDS; round++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / frames);
  }
  return best;
}

function scenario(fish: number, hz: number): Row {
  const frames = recordFrames(fish, hz);
  const sent = stream(frames);
  const bytes = sent.reduce((sum, b) => sum + b.length, 0);
  const keyframes = sent.filter((_, n) => n % KEYFRAME_EVERY === 0);
  const deltas = sent.filter((_, n) => n % KEYFRAME_EVERY !== 0);
  const average = (list: Uint8Array[]) => list.reduce((s, b) => s + b.length, 0) / list.length;
  const encodeMicros = microsPerFrame(frames.length, () => {
    const encoder = createFrameEncoder({ keyframeEvery: KEYFRAME_EVERY });
    for (const view of frames) encoder.encode(view);
  });
  const keyframeMicros = microsPerFrame(frames.length, () => {
    const encoder = createFrameEncoder({ keyframeEvery: KEYFRAME_EVERY });
    for (const view of frames) encoder.encode(view).keyframe();
  });
  const decodeMicros = microsPerFrame(sent.length, () => {
    const decoder = createFrameDecoder();
    for (const bytes of sent) decoder.decode(bytes);
  });
  return {
    tank: `${fish} fish @ ${hz} Hz`,
    'B/s per viewer': bytes / SECONDS,
    'delta B': average(deltas),
    'keyframe B': average(keyframes),
    'encode µs/frame': encodeMicros,
    'encode + keyframe() µs': keyframeMicros,
    'decode µs/frame': decodeMicros,
    'tanks/core @ 15 Hz': 1e6 / encodeMicros / 15,
  };
}

const rows: Row[] = [];
for (const fish of [25, 100, 200]) for (const hz of [15, 20]) rows.push(scenario(fish, hz));
const headline = rows.find((r) => r.tank === '100 fish @ 20 Hz')?.['B/s per viewer'] as number;
recordBenchmark({
  name: 'wire',
  rows,
  notes: [
    `Real simulation frames (${WARMUP_TICKS} warm-up ticks, tick ${TICKS_PER_SECOND} Hz, tanks topped back up ` +
      `to size each frame), ${SECONDS} s of broadcast per row. A continuous viewer gets the keyframe it joins ` +
      `with, then every delta; every ${KEYFRAME_EVERY}th encode is a keyframe.`,
    `Target ≤ ${TARGET.toLocaleString('en-US')} B/s per viewer for 100 fish at 20 Hz ` +
      `(Colyseus schema: ~${COLYSEUS.toLocaleString('en-US')} B/s): ` +
      `${headline <= TARGET ? 'met' : 'NOT met'} at ${Math.round(headline).toLocaleString('en-US')} B/s.`,
    `Times are the best of ${TIMING_ROUNDS} rounds over the recorded frames on one core; "encode + keyframe()" ` +
      `also builds the keyframe every frame (a tank that gets a new or lagging viewer every broadcast). ` +
      `"tanks/core @ 15 Hz" is encoding alone: 1 / (encode time × 15).`,
  ],
});
