/**
 * @module
 * Placement: which healthy server gets a new tank. Strategies share one small interface,
 * `choose(servers, input) → serverId`, and compose: the default keeps passing servers (warning
 * ones only when no server passes), prefers the region hint, then the least loaded by real-time
 * load (`ticks_behind`, then CPU when it differs by more than a margin), then the fewest tanks.
 * CPU within the margin counts as equal: a reading is a noisy sample taken once per heartbeat
 * (a just-started server reports its start-up), while tank counts move with every create.
 */
import type { ServerInstance } from '../discovery/index.ts';
import type { ServerLoad } from '../realtime/index.ts';

/** What placement knows besides the candidate servers. */
export interface PlacementInput {
  /** A region (or zone) the caller would like the tank in. */
  regionHint?: string;
  /** Live load per server id, from real-time state; servers without an entry are unknown. */
  loads: Map<string, ServerLoad>;
  /** Tanks per server id, from `tank_locations` plus placements since. */
  tankCounts: Record<string, number>;
}

/**
 * One way to choose; undefined when no candidate suits.
 *
 * @example
 * ```ts
 * const first: PlacementStrategy = { name: 'first', choose: (servers) => servers[0]?.serverId };
 * ```
 */
export interface PlacementStrategy {
  readonly name: string;
  choose(servers: readonly ServerInstance[], input: PlacementInput): string | undefined;
}

/** Orders candidates: negative when `a` should get the tank before `b`. */
type Compare = (a: ServerInstance, b: ServerInstance, input: PlacementInput) => number;

function best(
  servers: readonly ServerInstance[],
  input: PlacementInput,
  compares: Compare[],
): string | undefined {
  let winner: ServerInstance | undefined;
  for (const s of servers) {
    if (winner === undefined) {
      winner = s;
      continue;
    }
    let order = 0;
    for (const compare of compares) {
      order = compare(s, winner, input);
      if (order !== 0) break;
    }
    // Ties go to the lower id, so equal servers are chosen the same way every time.
    if (order < 0 || (order === 0 && s.serverId < winner.serverId)) winner = s;
  }
  return winner?.serverId;
}

const byTanks: Compare = (a, b, { tankCounts }) =>
  (tankCounts[a.serverId] ?? 0) - (tankCounts[b.serverId] ?? 0);

/** The live load, else the one in the heartbeat output, else nothing known. */
function loadOf(s: ServerInstance, loads: Map<string, ServerLoad>) {
  return loads.get(s.serverId) ?? s.load;
}

function byLoad(cpuMarginPercent: number): Compare {
  return (a, b, { loads }) => {
    const la = loadOf(a, loads);
    const lb = loadOf(b, loads);
    // A server that reports no load yet is as good as an idle one: it just started.
    const behind = (la?.ticks_behind ?? 0) - (lb?.ticks_behind ?? 0);
    if (behind !== 0) return behind;
    const cpu = (la?.cpu_percent ?? 0) - (lb?.cpu_percent ?? 0);
    return Math.abs(cpu) <= cpuMarginPercent ? 0 : cpu;
  };
}

function inRegion(s: ServerInstance, hint: string | undefined): boolean {
  return hint !== undefined && (s.region === hint || s.zone === hint);
}

/**
 * Fewest tanks first.
 *
 * @example
 * ```ts
 * fewestTanks().choose(servers, { loads: new Map(), tankCounts: { a: 3, b: 1 } }); // 'b'
 * ```
 */
export function fewestTanks(): PlacementStrategy {
  return { name: 'fewest-tanks', choose: (servers, input) => best(servers, input, [byTanks]) };
}

/**
 * Least loaded first (`ticks_behind`, then CPU when it differs by more than `cpuMarginPercent`
 * points), then fewest tanks.
 *
 * @example
 * ```ts
 * leastLoaded({ cpuMarginPercent: 25 }).choose(servers, { loads, tankCounts });
 * ```
 */
export function leastLoaded({
  cpuMarginPercent = 25,
}: {
  cpuMarginPercent?: number;
} = {}): PlacementStrategy {
  if (!(cpuMarginPercent >= 0)) throw new RangeError('cpuMarginPercent must not be negative');
  return {
    name: 'least-loaded',
    choose: (servers, input) => best(servers, input, [byLoad(cpuMarginPercent), byTanks]),
  };
}

/**
 * Servers in the hinted region (or zone) when there are any, all of them otherwise; `inner`
 * chooses among those.
 *
 * @example
 * ```ts
 * regionFirst(leastLoaded()).choose(servers, { regionHint: 'eu-west-1', loads, tankCounts });
 * ```
 */
export function regionFirst(inner: PlacementStrategy): PlacementStrategy {
  return {
    name: `region-first(${inner.name})`,
    choose(servers, input) {
      const local = servers.filter((s) => inRegion(s, input.regionHint));
      return inner.choose(local.length > 0 ? local : servers, input);
    },
  };
}

/**
 * Passing servers only, unless none passes: then the `warning` ones (overloaded but alive).
 * Critical servers are never chosen.
 *
 * @example
 * ```ts
 * healthFirst(fewestTanks()).choose(servers, input);
 * ```
 */
export function healthFirst(inner: PlacementStrategy): PlacementStrategy {
  return {
    name: `health-first(${inner.name})`,
    choose(servers, input) {
      const passing = servers.filter((s) => s.status === 'passing');
      const usable = passing.length > 0 ? passing : servers.filter((s) => s.status === 'warning');
      return inner.choose(usable, input);
    },
  };
}

/**
 * The gateway's default: health first, then region, then load, then tank count.
 *
 * @example
 * ```ts
 * const serverId = defaultPlacement().choose(directory.healthy(), { regionHint, loads, tankCounts });
 * ```
 */
export function defaultPlacement(options: { cpuMarginPercent?: number } = {}): PlacementStrategy {
  return healthFirst(regionFirst(leastLoaded(options)));
}
