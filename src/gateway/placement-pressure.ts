/**
 * @module
 * When a placement candidate counts as busy: CPU or resident memory high and well above the
 * least busy candidate. Relative on purpose: when every candidate runs hot, none is singled out.
 * `leastLoaded` puts busy servers last; `followTubes` packs nothing onto them.
 */
import type { ServerInstance } from '../discovery/index.ts';
import type { ServerLoad } from '../realtime/index.ts';

/** The live load, else the one in the heartbeat output, else nothing known. */
function loadOf(s: ServerInstance, loads: Map<string, ServerLoad>) {
  return loads.get(s.serverId) ?? s.load;
}

/**
 * When a server counts as busy: CPU in percent of one core (a Node process ticks on one), memory
 * as its resident set in MB. Either one busy makes the server busy.
 */
export interface PressureThresholds {
  /** CPU from which a server counts as busy. */
  busyCpuPercent?: number;
  /** A server is busy by CPU only this far above the least busy candidate. */
  cpuMarginPercent?: number;
  /** Resident memory from which a server counts as busy. */
  busyMemoryMb?: number;
  /** A server is busy by memory only this far above the least busy candidate. */
  memoryMarginMb?: number;
}

/** The least CPU and memory among the candidates: busy is measured against them. */
interface Floor {
  cpu: number;
  memory: number;
}

/**
 * 0 calm, 1 busy. A server that reports no load yet is calm: it just started. Busy is relative:
 * when every candidate runs hot, none is singled out. A server dropping its ticks reports
 * itself `warning` (saturated), which `healthFirst` handles.
 */
function pressure(
  s: ServerInstance,
  floor: Floor,
  loads: Map<string, ServerLoad>,
  {
    busyCpuPercent = 75,
    cpuMarginPercent = 25,
    busyMemoryMb = 1536,
    memoryMarginMb = 512,
  }: PressureThresholds,
): number {
  const load = loadOf(s, loads);
  const cpu = load?.cpu_percent ?? 0;
  const memory = load?.memory_mb ?? 0;
  const cpuBusy = cpu >= busyCpuPercent && cpu - floor.cpu > cpuMarginPercent;
  const memoryBusy = memory >= busyMemoryMb && memory - floor.memory > memoryMarginMb;
  return cpuBusy || memoryBusy ? 1 : 0;
}

/**
 * The candidates that count as busy (CPU or memory well above the least busy candidate): what
 * `leastLoaded` puts last and `followTubes` never packs onto.
 *
 * @example
 * ```ts
 * busyServerIds(servers, loads).has('server-2'); // true when server-2 runs hot
 * ```
 */
export function busyServerIds(
  servers: readonly ServerInstance[],
  loads: Map<string, ServerLoad>,
  thresholds: PressureThresholds = {},
): Set<string> {
  const floor = {
    cpu: Math.min(...servers.map((s) => loadOf(s, loads)?.cpu_percent ?? 0)),
    memory: Math.min(...servers.map((s) => loadOf(s, loads)?.memory_mb ?? 0)),
  };
  return new Set(servers.filter((s) => pressure(s, floor, loads, thresholds) > 0).map((s) => s.serverId));
}

/** Rejects negative thresholds when a strategy is built, not when it first chooses. */
export function checkThresholds(thresholds: object): void {
  for (const [name, value] of Object.entries(thresholds))
    if (!(value >= 0)) throw new RangeError(`${name} must not be negative`);
}
