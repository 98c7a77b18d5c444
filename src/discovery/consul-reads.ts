/**
 * @module
 * The read side of the Consul `Discovery` (see `consul.ts`): the healthy servers, plain or by a
 * blocking watch, and the last view seen, which stays readable while the agent is down.
 */
import type { Logger } from '../telemetry/index.ts';
import { healthyOnly, membershipKey } from './codec.ts';
import type { ConsulClient } from './consul-client.ts';
import { instancesOf } from './consul-parts.ts';
import { type BlockingWatch, startBlockingWatch } from './consul-watch.ts';
import type { Reachability } from './reachability.ts';
import { type LastKnownView, type ServerInstance, ServiceName, type WatchHandle } from './types.ts';

export interface ConsulReadsOptions {
  client: ConsulClient;
  /** Up/down state of the agent, for the log. */
  reach: Reachability;
  /** Runs a call to the agent, keeping `reach` current. */
  tracked: <T>(call: () => Promise<T>) => Promise<T>;
  /** The running watches; the registration side starts them over when the agent restarted. */
  loops: Set<BlockingWatch>;
  watchWaitMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger?: Logger;
  /** Told after each blocking round of a watch: what it cost this process (see {@link WatchRound}). */
  onWatchRound?: (round: WatchRound) => void;
}

/**
 * One answered round of a blocking watch, as the reader's process paid for it: the entries
 * decoded and the time spent turning them into instances and comparing (the HTTP read and the
 * JSON parse before it are not in `decodeMs`). For benches and metrics of a large fleet.
 */
export interface WatchRound {
  entries: number;
  /** Whether membership or a status changed, so the watch's callback ran. */
  changed: boolean;
  decodeMs: number;
}

export interface ConsulReads {
  healthyServers(): Promise<ServerInstance[]>;
  watch(onChange: (servers: ServerInstance[]) => void): Promise<WatchHandle>;
  lastKnown(): Promise<LastKnownView>;
}

/**
 * @example
 * ```ts
 * const reads = createConsulReads({ client, reach, tracked, loops, watchWaitMs, retryBaseMs, retryMaxMs, logger });
 * const servers = await reads.healthyServers();
 * ```
 */
export function createConsulReads({
  client,
  reach,
  tracked,
  loops,
  watchWaitMs,
  retryBaseMs,
  retryMaxMs,
  logger,
  onWatchRound,
}: ConsulReadsOptions): ConsulReads {
  let lastView: ServerInstance[] = [];
  let lastAt: Date | null = null;

  function remember(all: ServerInstance[]): void {
    lastView = healthyOnly(all);
    lastAt = new Date();
  }

  async function healthyServers(): Promise<ServerInstance[]> {
    const { entries } = await tracked(() => client.healthService(ServiceName.tankServer));
    const all = instancesOf(entries);
    remember(all);
    return healthyOnly(all);
  }

  async function watch(onChange: (servers: ServerInstance[]) => void): Promise<WatchHandle> {
    let lastKey: string | undefined;
    const loop = startBlockingWatch({
      client,
      service: ServiceName.tankServer,
      waitMs: watchWaitMs,
      retryBaseMs,
      retryMaxMs,
      minIntervalMs: 100,
      onResult(entries) {
        reach.up();
        const began = performance.now();
        const all = instancesOf(entries);
        remember(all);
        const key = membershipKey(all);
        const changed = key !== lastKey;
        onWatchRound?.({ entries: entries.length, changed, decodeMs: performance.now() - began });
        if (!changed) return;
        lastKey = key;
        try {
          onChange(all);
        } catch (err) {
          logger?.error({ err }, 'discovery watch callback threw');
        }
      },
      onError(err) {
        reach.down(err);
      },
    });
    loops.add(loop);
    return {
      stop() {
        loop.stop();
        loops.delete(loop);
      },
    };
  }

  async function lastKnown(): Promise<LastKnownView> {
    return { servers: [...lastView], at: lastAt, stale: true };
  }

  return { healthyServers, watch, lastKnown };
}
