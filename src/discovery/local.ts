/**
 * @module
 * `Discovery` on an in-process `LocalRegistry`. Each participant of the embedded default (the
 * gateway and every server) gets its own `Discovery`, all bound to one shared registry. It goes
 * through the same codec as the Consul adapter, so readers see the same values either way.
 */
import {
  formatLoad,
  healthyOnly,
  heartbeatCheckId,
  membershipKey,
  parseGoDuration,
  sortInstances,
  toInstance,
  toServiceDefinition,
  type ValidRegistration,
  validateRegistration,
} from './codec.ts';
import { DiscoveryClosedError, NotRegisteredError } from './errors.ts';
import type { LocalRegistry } from './local-registry.ts';
import type {
  Discovery,
  DiscoveryOptions,
  LastKnownView,
  PassTtlOptions,
  ScrapeTarget,
  ServerInstance,
  ServerLoad,
  ServerRegistration,
  WatchHandle,
} from './types.ts';
import { ServiceName } from './types.ts';

export interface LocalDiscoveryOptions extends DiscoveryOptions {
  /** The registry every participant of this process shares. */
  registry: LocalRegistry;
}

/**
 * A `Discovery` bound to a shared in-process registry.
 *
 * @example
 * ```ts
 * const registry = createLocalRegistry({ clock: createSystemClock() });
 * const discovery = createLocalDiscovery({ registry, ttl: '30s', logger });
 * await discovery.register({ serverId: 'server-1', address: '127.0.0.1', port: 8001, … });
 * ```
 */
export function createLocalDiscovery({
  registry,
  ttl = '30s',
  deregisterCriticalAfter = '1m',
  logger,
}: LocalDiscoveryOptions): Discovery {
  parseGoDuration(ttl);
  parseGoDuration(deregisterCriticalAfter);
  const unsubscribers = new Set<() => void>();
  let registration: ValidRegistration | null = null;
  let closed = false;
  let closing: Promise<void> | undefined;

  function ensureOpen(): void {
    if (closed) throw new DiscoveryClosedError();
  }

  function definition(reg: ValidRegistration) {
    return toServiceDefinition(reg, { ttl, deregisterCriticalAfter });
  }

  function allServers(): ServerInstance[] {
    return sortInstances(
      registry.health(ServiceName.tankServer).map((e) =>
        toInstance({
          serviceId: e.serviceId,
          address: e.address,
          port: e.port,
          meta: e.meta,
          status: e.status,
          output: e.output,
        }),
      ),
    );
  }

  async function register(self: ServerRegistration): Promise<void> {
    ensureOpen();
    const reg = validateRegistration(self);
    registration = reg;
    registry.register(definition(reg));
  }

  async function passTtl(load: ServerLoad, { status = 'passing' }: PassTtlOptions = {}): Promise<void> {
    ensureOpen();
    const reg = registration;
    if (!reg) throw new NotRegisteredError();
    const checkId = heartbeatCheckId(reg.serverId);
    const output = formatLoad(load);
    if (registry.updateCheck(checkId, status, output) === 'updated') return;
    // Reaped after being critical too long (the process stalled): come back, as with Consul.
    logger?.info({ server_id: reg.serverId }, 'registry did not know this instance; registering again');
    registry.register(definition(reg));
    registry.updateCheck(checkId, status, output);
  }

  async function deregister(): Promise<void> {
    ensureOpen();
    const reg = registration;
    registration = null;
    if (reg) registry.deregister(reg.serverId);
  }

  async function healthyServers(): Promise<ServerInstance[]> {
    ensureOpen();
    return healthyOnly(allServers());
  }

  async function watch(onChange: (servers: ServerInstance[]) => void): Promise<WatchHandle> {
    ensureOpen();
    let lastKey: string | undefined;
    let stopped = false;
    function check(): void {
      if (stopped) return;
      const all = allServers();
      const key = membershipKey(all);
      if (key === lastKey) return;
      lastKey = key;
      try {
        onChange(all);
      } catch (err) {
        logger?.error({ err }, 'discovery watch callback threw');
      }
    }
    const unsubscribe = registry.subscribe(ServiceName.tankServer, check);
    // The first view comes asynchronously, as from Consul's first query.
    queueMicrotask(check);
    const stop = () => {
      stopped = true;
      unsubscribe();
      unsubscribers.delete(stop);
    };
    unsubscribers.add(stop);
    return { stop };
  }

  async function lastKnown(): Promise<LastKnownView> {
    // The registry is in this process and never unreachable: the last view is the current one.
    return { servers: healthyOnly(allServers()), at: new Date(registry.now()), stale: true };
  }

  /** The registry's gateways and servers; in one process there are no sidecars. */
  async function scrapeTargets(): Promise<ScrapeTarget[]> {
    ensureOpen();
    return [ServiceName.gateway, ServiceName.tankServer].flatMap((job) =>
      registry
        .health(job)
        .map((e) => ({ job, address: `${e.address}:${e.port}`, serviceId: e.serviceId, status: e.status })),
    );
  }

  function close(): Promise<void> {
    closing ??= (async function closeOnce() {
      closed = true;
      for (const stop of [...unsubscribers]) stop();
      const reg = registration;
      registration = null;
      if (reg) registry.deregister(reg.serverId);
    })();
    return closing;
  }

  return {
    register,
    passTtl,
    deregister,
    healthyServers,
    watch,
    lastKnown,
    scrapeTargets,
    close,
  } satisfies Discovery;
}
