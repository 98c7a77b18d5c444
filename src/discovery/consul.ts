/**
 * @module
 * `Discovery` on a Consul agent: the server registers through the agent's HTTP API, passes a
 * TTL check with its load as output, and readers use `/v1/health/service/tank-server`, plain or
 * blocking. When Consul is down every call rejects with `DiscoveryUnavailableError` while the
 * last view stays readable through `lastKnown()`. Here: registration, the heartbeat and closing;
 * the reads are `consul-reads.ts`, the pure parts `consul-parts.ts`.
 */

import { formatLoad, heartbeatCheckId, type ValidRegistration, validateRegistration } from './codec.ts';
import type { ConnectOptions } from './connect.ts';
import { type ConsulClient, createConsulClient } from './consul-client.ts';
import { checkDurations, consulDefinition, warnIfOutputDelayed } from './consul-parts.ts';
import { createConsulReads, type WatchRound } from './consul-reads.ts';
import { readScrapeTargets } from './consul-targets.ts';
import type { BlockingWatch } from './consul-watch.ts';
import { DiscoveryClosedError, DiscoveryUnavailableError, NotRegisteredError } from './errors.ts';
import { createReachability } from './reachability.ts';
import type {
  Discovery,
  DiscoveryOptions,
  PassTtlOptions,
  ServerInstance,
  ServerLoad,
  ServerRegistration,
  WatchHandle,
} from './types.ts';

export interface ConsulDiscoveryOptions extends DiscoveryOptions {
  /** Agent address in `CONSUL_HTTP_ADDR` form: `127.0.0.1:8500` or `http://consul:8500`. */
  consulAddr?: string;
  /** ACL token (`CONSUL_HTTP_TOKEN`). */
  token?: string;
  /** Deadline of each non-blocking call to the agent. */
  requestTimeoutMs?: number;
  /** How long one blocking watch query waits on the agent. */
  watchWaitMs?: number;
  /** Watch retry delays after errors: doubling from the base, capped, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Join the Consul Connect service mesh: the registration carries an Envoy sidecar (started
   * apart, by `consul connect envoy -sidecar-for <server id>`) with these upstreams, and the
   * instance is critical while that sidecar is down.
   */
  connect?: ConnectOptions;
  /** Told after each round of a blocking watch, with its size and decode time (benches, metrics). */
  onWatchRound?: (round: WatchRound) => void;
}

/**
 * A `Discovery` backed by a Consul agent.
 *
 * @example
 * ```ts
 * const discovery = createConsulDiscovery({ consulAddr: config.consulAddr, token: config.consulToken,
 *   ttl: config.checkTtl, deregisterCriticalAfter: config.deregisterAfter, logger });
 * await discovery.register({ serverId: 'alpha', address: '10.0.0.5', port: 8001, region: 'eu',
 *   zone: 'eu-1a', version: '2.0.0', capabilities: ['poker'], publicUrl: 'http://10.0.0.5:8001',
 *   wsUrl: 'ws://10.0.0.5:8001/ws', startedAt: new Date().toISOString() });
 * await discovery.passTtl({ tank_count: 3, cpu_percent: 12, memory_mb: 140, ws_connections: 9, ticks_behind: 0 });
 * ```
 */
export function createConsulDiscovery({
  consulAddr = '127.0.0.1:8500',
  token,
  ttl = '30s',
  deregisterCriticalAfter = '1m',
  requestTimeoutMs = 5000,
  watchWaitMs = 30_000,
  retryBaseMs = 250,
  retryMaxMs = 5000,
  logger,
  connect,
  onWatchRound,
}: ConsulDiscoveryOptions = {}): Discovery {
  checkDurations({ ttl, deregisterCriticalAfter, connect });
  const definitionOf = (reg: ValidRegistration) =>
    consulDefinition(reg, { ttl, deregisterCriticalAfter, connect });
  const client: ConsulClient = createConsulClient({ consulAddr, token, timeoutMs: requestTimeoutMs });
  const reach = createReachability({ logger, target: `consul at ${consulAddr}` });
  const loops = new Set<BlockingWatch>();
  let registration: ValidRegistration | null = null;
  let hinted = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  /** Runs a call to the agent, keeping the up/down state (and so the log) current. */
  async function tracked<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      reach.up();
      return result;
    } catch (err) {
      if (err instanceof DiscoveryUnavailableError) reach.down(err);
      throw err;
    }
  }

  function ensureOpen(): void {
    if (closed) throw new DiscoveryClosedError();
  }

  const reads = createConsulReads({
    client,
    reach,
    tracked,
    loops,
    watchWaitMs,
    retryBaseMs,
    retryMaxMs,
    logger,
    onWatchRound,
  });

  async function healthyServers(): Promise<ServerInstance[]> {
    ensureOpen();
    return reads.healthyServers();
  }

  async function watch(onChange: (servers: ServerInstance[]) => void): Promise<WatchHandle> {
    ensureOpen();
    return reads.watch(onChange);
  }

  async function hintOnce(): Promise<void> {
    if (hinted) return;
    hinted = true;
    await warnIfOutputDelayed(client, logger);
  }

  async function register(self: ServerRegistration): Promise<void> {
    ensureOpen();
    const reg = validateRegistration(self);
    // Kept even if the agent is unreachable now: the next heartbeat that reaches it registers.
    registration = reg;
    await tracked(() => client.registerService(definitionOf(reg)));
    await hintOnce();
  }

  async function passTtl(load: ServerLoad, { status = 'passing' }: PassTtlOptions = {}): Promise<void> {
    ensureOpen();
    const reg = registration;
    if (!reg) throw new NotRegisteredError();
    const checkId = heartbeatCheckId(reg.serverId);
    const output = formatLoad(load);
    await tracked(async () => {
      if ((await client.updateCheck(checkId, status, output)) === 'updated') return;
      // The agent forgot us: it restarted (a -dev agent keeps nothing) or reaped us after we
      // were critical too long. Register again unless a deregister raced this heartbeat.
      if (registration !== reg) throw new NotRegisteredError('deregistered during the heartbeat');
      logger?.info({ server_id: reg.serverId }, 'consul did not know this instance; registering again');
      // If the agent restarted, its index restarted too and our watches' indexes are too high;
      // after a reap instead, starting over costs one extra read.
      for (const loop of loops) loop.startOver();
      await client.registerService(definitionOf(reg));
      if ((await client.updateCheck(checkId, status, output)) === 'unknown')
        throw new DiscoveryUnavailableError('consul lost the heartbeat check right after registering it');
    });
  }

  async function deregisterNow(): Promise<void> {
    const reg = registration;
    registration = null;
    if (reg) await tracked(() => client.deregisterService(reg.serverId));
  }

  async function deregister(): Promise<void> {
    ensureOpen();
    await deregisterNow();
  }

  function close(): Promise<void> {
    closing ??= (async function closeOnce() {
      closed = true;
      for (const loop of loops) loop.stop();
      loops.clear();
      try {
        await deregisterNow();
      } catch (err) {
        // Consul reaps us after deregisterCriticalAfter anyway; shutdown must not hang on it.
        logger?.warn({ err }, 'could not deregister from consul on close');
      } finally {
        client.destroy();
      }
    })();
    return closing;
  }

  return {
    register,
    passTtl,
    deregister,
    healthyServers,
    watch,
    lastKnown: reads.lastKnown,
    scrapeTargets: () => tracked(() => readScrapeTargets(client)),
    close,
  } satisfies Discovery;
}
