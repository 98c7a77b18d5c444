/**
 * @module
 * The shapes every placement strategy shares (`placement.ts` composes them, `placement-tubes.ts`
 * adds one): apart, so a strategy in its own file needs nothing from the file that composes it.
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
  /**
   * Tubes from the tank being placed to tanks on each server, by server id (`tube-peers.ts`):
   * `followTubes` prefers those servers. Absent or empty for a tank with no tubes.
   */
  peers?: Record<string, number>;
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
