/**
 * @module
 * Placement that follows tubes: a tank connected to tanks on some server goes there when load
 * allows, so the fish that swim between them move inside one process (an atomic move between
 * two worlds) instead of over the network's two-phase commit. "Load allows" keeps the balance
 * that `leastLoaded` keeps: the server must be calm (not busy by CPU or memory against the least
 * busy candidate) and hold at most a bounded number of tanks more than the emptiest candidate.
 * The rule and its figures are in docs/placement.md.
 */
import type { ServerInstance } from '../discovery/index.ts';
import { busyServerIds, checkThresholds, type PressureThresholds } from './placement-pressure.ts';
import type { PlacementInput, PlacementStrategy } from './placement-types.ts';

/** How far tube affinity may pull tanks away from an even spread. */
export interface TubeSlack {
  /** A peer's server may hold this many tanks more than the emptiest candidate… */
  extraTanks?: number;
  /** …or this share of the emptiest candidate's tanks more, whichever allows more. */
  extraShare?: number;
}

export interface FollowTubesOptions extends TubeSlack {
  /** The pressure thresholds `leastLoaded` uses: a busy server takes no tank for its tubes. */
  thresholds?: PressureThresholds;
}

/** The most tanks a server may hold and still take one for its tubes. */
export function tubeCeiling(fewest: number, { extraTanks = 8, extraShare = 0.25 }: TubeSlack = {}): number {
  return fewest + Math.max(extraTanks, Math.floor(fewest * extraShare));
}

/**
 * The candidate the tank's tubes lead to, if load allows; undefined otherwise.
 * Most tubes first, then fewest tanks, then the lower id.
 */
function tubeChoice(
  servers: readonly ServerInstance[],
  { loads, tankCounts, peers = {} }: PlacementInput,
  { thresholds = {}, ...slack }: FollowTubesOptions,
): string | undefined {
  const linked = servers.filter((s) => (peers[s.serverId] ?? 0) > 0);
  if (linked.length === 0) return undefined;
  const count = (s: ServerInstance) => tankCounts[s.serverId] ?? 0;
  const ceiling = tubeCeiling(Math.min(...servers.map(count)), slack);
  const busy = busyServerIds(servers, loads, thresholds);
  let winner: ServerInstance | undefined;
  for (const s of linked) {
    if (busy.has(s.serverId) || count(s) > ceiling) continue;
    const order =
      winner === undefined
        ? -1
        : (peers[winner.serverId] ?? 0) - (peers[s.serverId] ?? 0) ||
          count(s) - count(winner) ||
          (s.serverId < winner.serverId ? -1 : 1);
    if (order < 0) winner = s;
  }
  return winner?.serverId;
}

/**
 * The server of the tanks this one connects to, when it is calm and not too far above the
 * emptiest candidate; `inner` chooses otherwise (and whenever the tank has no tubes).
 *
 * @example
 * ```ts
 * const placement = healthFirst(regionFirst(followTubes(leastLoaded())));
 * placement.choose(servers, { loads, tankCounts, peers: { 'server-2': 3 } }); // 'server-2' when calm
 * ```
 */
export function followTubes(inner: PlacementStrategy, options: FollowTubesOptions = {}): PlacementStrategy {
  const { thresholds = {}, ...slack } = options;
  checkThresholds({ ...thresholds, ...slack });
  return {
    name: `follow-tubes(${inner.name})`,
    choose: (servers, input) => tubeChoice(servers, input, options) ?? inner.choose(servers, input),
  };
}
