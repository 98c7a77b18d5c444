/**
 * @module
 * Runs a fuzz surface: draws inputs from a fast-check arbitrary with a fixed seed, a chunk at a
 * time (so a long run never holds 100,000 inputs, huge strings included, in memory), plays them
 * a few at once, and tallies the outcomes; failures keep their input and its index, which with
 * the seed replays it.
 */
import fc from 'fast-check';

export interface SurfaceReport<I> {
  name: string;
  /** Inputs played. */
  tried: number;
  /** Inputs drawn but not played (`skip` said so). */
  skipped: number;
  /** Outcome key → how many. */
  histogram: Map<string, number>;
  failures: Array<{ index: number; input: I; failure: string }>;
  seconds: number;
}

export interface RunSurfaceOptions<I> {
  name: string;
  arbitrary: fc.Arbitrary<I>;
  /** Plays one input; returns its outcome keys and, if it broke the property, why. */
  play: (input: I) => Promise<{ keys: string[]; failure?: string }>;
  numRuns: number;
  seed: number;
  concurrency?: number;
  /** Inputs not to play (counted as skipped). */
  skip?: (input: I) => boolean;
  /** Called after each played input (tank pools, progress). */
  after?: (input: I, outcome: { keys: string[]; failure?: string }) => Promise<void> | void;
  /** Stop early past this many failures. */
  maxFailures?: number;
  /** Stop drawing after this many seconds. */
  maxSeconds?: number;
  chunk?: number;
}

/**
 * @example
 * ```ts
 * const report = await runSurface({ name: 'gateway', arbitrary, play, numRuns: 300, seed: 42 });
 * expect(report.failures).toEqual([]);
 * ```
 */
export async function runSurface<I>({
  name,
  arbitrary,
  play,
  numRuns,
  seed,
  concurrency = 4,
  skip = () => false,
  after,
  maxFailures = 20,
  maxSeconds = Number.POSITIVE_INFINITY,
  chunk = 500,
}: RunSurfaceOptions<I>): Promise<SurfaceReport<I>> {
  const started = performance.now();
  const report: SurfaceReport<I> = {
    name,
    tried: 0,
    skipped: 0,
    histogram: new Map(),
    failures: [],
    seconds: 0,
  };
  const count = (key: string) => report.histogram.set(key, (report.histogram.get(key) ?? 0) + 1);
  const outOfTime = () => (performance.now() - started) / 1000 > maxSeconds;
  for (let from = 0; from < numRuns && !outOfTime() && report.failures.length < maxFailures; from += chunk) {
    const inputs = fc.sample(arbitrary, { seed: seed + from, numRuns: Math.min(chunk, numRuns - from) });
    let at = 0;
    async function worker(): Promise<void> {
      while (at < inputs.length && report.failures.length < maxFailures && !outOfTime()) {
        const index = from + at;
        const input = inputs[at++] as I;
        if (skip(input)) {
          report.skipped++;
          continue;
        }
        const outcome = await play(input).catch((err: Error) => ({
          keys: ['harness-error'],
          failure: `harness: ${err.stack}`,
        }));
        report.tried++;
        for (const key of outcome.keys) count(key);
        if (outcome.failure) report.failures.push({ index, input, failure: outcome.failure });
        await after?.(input, outcome);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The histogram as `key×n` pairs, most frequent first. */
export function formatHistogram(histogram: Map<string, number>, limit = 12): string {
  const sorted = [...histogram].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([k, n]) => `${k}×${n}`);
  if (sorted.length > limit) shown.push(`… ${sorted.length - limit} more`);
  return shown.join(', ');
}

/** A failure's input, cut short enough to print (huge strings are the point of some inputs). */
export function describeInput(input: unknown): string {
  return JSON.stringify(input, (_k, v) =>
    typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v,
  ).slice(0, 1500);
}
