/**
 * @module
 * Placement: which healthy server gets a new tank. Strategies share one small interface,
 * `choose(servers, input) → serverId`, and compose: the default keeps passing servers (warning
 * ones only when no server passes), prefers the region hint, then the server the tank's tubes
 * lead to when load allows (`placement-tubes.ts`), then the server under the least pressure,
 * then the fewest tanks.
 *
 * Tanks are what placement balances: each create adds one to a count every gateway can read,
 * so a burst spreads evenly. Measured load only sets servers apart when clearly busy (CPU or
 * memory well above the least busy candidate; a server dropping ticks is `warning` and comes
 * last), because
 * a CPU reading is a noisy sample of one heartbeat interval (a server that just started
 * reports its start-up), and weighing it against tank counts sent whole bursts to one server.
 */
import type { ServerInstance } from '../discovery/index.ts';
import { busyServerIds, checkThresholds, type PressureThresholds } from './placement-pressure.ts';
import { followTubes, type TubeSlack } from './placement-tubes.ts';
import type { PlacementInput, PlacementStrategy } from './placement-types.ts';

export type { PressureThresholds } from './placement-pressure.ts';
export type { PlacementInput, PlacementStrategy } from './placement-types.ts';

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

function byPressure(thresholds: PressureThresholds): (servers: readonly ServerInstance[]) => Compare {
  return (servers) => {
    let busy: Set<string> | undefined;
    return (a, b, { loads }) => {
      busy ??= busyServerIds(servers, loads, thresholds);
      return Number(busy.has(a.serverId)) - Number(busy.has(b.serverId));
    };
  };
}

/** Whether a server is in the region (or zone) named; never when none is named. */
export function inRegion(s: ServerInstance, hint: string | undefined): boolean {
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
 * Calm before busy (CPU at `busyCpuPercent` or more and `cpuMarginPercent` above the least busy
 * candidate, or memory at `busyMemoryMb` or more and `memoryMarginMb` above), then fewest tanks.
 *
 * @example
 * ```ts
 * leastLoaded({ busyCpuPercent: 75 }).choose(servers, { loads, tankCounts });
 * ```
 */
export function leastLoaded(thresholds: PressureThresholds = {}): PlacementStrategy {
  checkThresholds(thresholds);
  const byLoad = byPressure(thresholds);
  return {
    name: 'least-loaded',
    choose: (servers, input) => best(servers, input, [byLoad(servers), byTanks]),
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
 * The gateway's default: health first, then region, then the servers the tank's tubes lead to
 * when load allows (`followTubes`; `tubes: false` leaves it out), then pressure, then tank count.
 *
 * @example
 * ```ts
 * const serverId = defaultPlacement().choose(directory.healthy(), { regionHint, loads, tankCounts, peers });
 * ```
 */
export function defaultPlacement(
  thresholds: PressureThresholds = {},
  tubes: TubeSlack | false = {},
): PlacementStrategy {
  const inner = leastLoaded(thresholds);
  return healthFirst(regionFirst(tubes === false ? inner : followTubes(inner, { ...tubes, thresholds })));
}
