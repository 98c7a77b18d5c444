/**
 * @module
 * A process's CPU and memory as the kernel counts them (`/proc/<pid>/stat`, `/proc/<pid>/status`):
 * how `bench consul-ttl` and `bench fleet` measure the Consul agents they start.
 */
import { readFileSync } from 'node:fs';

/** Linux clock ticks per second (`getconf CLK_TCK`): 100 on every kernel we run on. */
const CLK_TCK = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident memory (VmRSS) in MB. */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
}

export interface ProcUsage {
  /** Percent of one core over the window. */
  cpuPercent: number;
  rssMeanMb: number;
  rssMaxMb: number;
}

export interface ProcSampler {
  /** Ends the window: each process's usage over it, by pid. */
  stop(): Map<number, ProcUsage>;
}

/**
 * Starts a measuring window over `pids`: CPU from the difference of the kernel's counters, RSS
 * sampled every `intervalMs`.
 *
 * @example
 * ```ts
 * const sampler = sampleProcesses([consul.pid!]);
 * await delay(10_000);
 * const usage = sampler.stop().get(consul.pid!);
 * ```
 */
export function sampleProcesses(pids: readonly number[], intervalMs = 1000): ProcSampler {
  const began = performance.now();
  const cpu0 = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  const rss = new Map(pids.map((pid) => [pid, [rssMb(pid)]]));
  const timer = setInterval(() => {
    for (const pid of pids) {
      try {
        rss.get(pid)!.push(rssMb(pid));
      } catch {
        // The process died in the window (a kill test): keep what was sampled.
      }
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const wall = (performance.now() - began) / 1000;
      return new Map(
        pids.map((pid) => {
          const samples = rss.get(pid)!;
          let used = 0;
          try {
            used = cpuSeconds(pid) - cpu0.get(pid)!;
          } catch {
            used = Number.NaN;
          }
          return [
            pid,
            {
              cpuPercent: (100 * used) / wall,
              rssMeanMb: samples.reduce((a, b) => a + b, 0) / samples.length,
              rssMaxMb: Math.max(...samples),
            },
          ];
        }),
      );
    },
  };
}
