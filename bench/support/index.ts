/**
 * @module
 * Benchmark helpers: `recordBenchmark` prints figures and appends them to BENCHMARKS.md with the
 * date and machine; `markdownTable` and `formatNumber` format them; `runSoak` drives the
 * transfer soak (processes, random transfers, SIGKILLs, the count by uid); `UNLIMITED_ENV` turns
 * the quotas and rate limits of the processes a rig starts off; `followViewers` measures the gap
 * viewers see when their tank moves (live move, drain, failover).
 */

export { UNLIMITED_ENV } from './limits.ts';
export { type Cell, formatNumber, markdownTable, type Row } from './markdown.ts';
export { type BenchmarkRecord, type MachineInfo, machineInfo, recordBenchmark } from './record.ts';
export { runSoak, type SoakOptions, type SoakResult } from './soak.ts';
export { SOAK_SECRET, type SoakRig, startSoakRig } from './soak-rig.ts';
export {
  type FollowOptions,
  followViewers,
  type GapReport,
  quantile,
  type ViewerFollow,
} from './viewer-gaps.ts';
