/**
 * @module
 * The gateway side of `bench fleet` and of the cluster test: the gateway's own server directory
 * (`src/gateway/directory.ts`) on a Consul discovery watch, with what it costs per watch round
 * and when it learned of each server going down or coming back.
 */
import { createConsulDiscovery, type WatchRound } from '../../src/discovery/index.ts';
import { createServerDirectory, type ServerDirectory } from '../../src/gateway/directory.ts';
import { waitFor } from '../../src/mesh/index.ts';
import type { Realtime } from '../../src/realtime/index.ts';
import type { Db } from '../../src/store/index.ts';
import type { Logger } from '../../src/telemetry/index.ts';
import { type EpochMs, epochNow } from './fleet-protocol.ts';

export interface WatchRounds {
  count: number;
  changed: number;
  entries: number;
  decodeMs: number[];
}

export interface GatewayView {
  readonly directory: ServerDirectory;
  /** When the directory last announced each server down / up. */
  readonly downAt: Map<string, EpochMs>;
  readonly upAt: Map<string, EpochMs>;
  /** Servers announced down that no one silenced (flaps under load), since the last `takeRounds`. */
  readonly unexpectedDown: Set<string>;
  /** Servers the caller is about to silence: their downs are expected. */
  expect(ids: readonly string[]): void;
  /** Watch rounds since the last call. */
  takeRounds(): WatchRounds;
  /** Waits until the directory counts `total` servers with `healthy` of them passing (any, if not given). */
  waitForView(total: number, healthy: number | undefined, timeout: number): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayViewOptions {
  /** The agent the gateway asks (its host's client agent). */
  consulAddr: string;
  db: Db;
  realtime: Realtime;
  logger: Logger;
}

/**
 * @example
 * ```ts
 * const view = await startGatewayView({ consulAddr: cluster.clients[0]!.httpAddr, db, realtime, logger });
 * await view.waitForView(100, 100, 30_000);
 * ```
 */
export async function startGatewayView({
  consulAddr,
  db,
  realtime,
  logger,
}: GatewayViewOptions): Promise<GatewayView> {
  let rounds: WatchRounds = { count: 0, changed: 0, entries: 0, decodeMs: [] };
  const onWatchRound = (round: WatchRound) => {
    rounds.count++;
    rounds.entries += round.entries;
    rounds.decodeMs.push(round.decodeMs);
    if (round.changed) rounds.changed++;
  };
  // As the gateway builds it (src/cli.ts), but with the round hook.
  const discovery = createConsulDiscovery({ consulAddr, logger, onWatchRound });
  const directory = createServerDirectory({ discovery, db, realtime, logger });
  const downAt = new Map<string, EpochMs>();
  const upAt = new Map<string, EpochMs>();
  const expected = new Set<string>();
  const unexpectedDown = new Set<string>();
  directory.onChange(({ up, down }) => {
    const at = epochNow();
    for (const id of down) {
      downAt.set(id, at);
      if (!expected.has(id)) unexpectedDown.add(id);
    }
    for (const id of up) {
      upAt.set(id, at);
      expected.delete(id);
    }
  });
  await directory.start();
  return {
    directory,
    downAt,
    upAt,
    unexpectedDown,
    expect(ids) {
      for (const id of ids) expected.add(id);
    },
    takeRounds() {
      const taken = rounds;
      rounds = { count: 0, changed: 0, entries: 0, decodeMs: [] };
      unexpectedDown.clear();
      return taken;
    },
    async waitForView(total, healthy, timeout) {
      try {
        const want = () => healthy === undefined || directory.healthy().length === healthy;
        await waitFor(() => directory.all().length === total && want(), {
          what: `the gateway to see ${total} servers, ${healthy ?? 'any'} healthy`,
          timeout,
          interval: 100,
        });
      } catch (err) {
        const seen = `${directory.all().length} servers, ${directory.healthy().length} healthy`;
        throw new Error(`${(err as Error).message}; it sees ${seen}`, { cause: err });
      }
    },
    async stop() {
      await directory.stop();
      await discovery.close();
    },
  };
}
