/**
 * @module
 * An in-process stand-in for a Consul agent, for the embedded default where a gateway and two
 * servers share one process. It keeps Consul's TTL semantics on an injected clock: a check
 * starts with the status it was registered with, every update resets the TTL, expiry turns it
 * critical with Consul's "TTL expired" output, and a service critical for longer than its
 * deregister-after (at least one minute, as Consul clamps it) is removed.
 */
import { expiredOutput, parseGoDuration, type ServiceDefinition } from './codec.ts';
import type { CheckStatus } from './types.ts';

/** Time as the registry sees it; tests pass a manual clock to expire TTLs without waiting. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/**
 * The wall clock. Its timers are unref'd: a registry must never keep a process alive.
 *
 * @example
 * ```ts
 * const registry = createLocalRegistry({ clock: createSystemClock() });
 * ```
 */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    schedule(fn, ms) {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}

/** One registered service with its heartbeat check, as a health read returns it. */
export interface LocalHealthEntry {
  service: string;
  serviceId: string;
  address: string;
  port: number;
  meta: Record<string, string>;
  tags: string[];
  status: CheckStatus;
  output: string;
}

/** The shared registry; hand it to each participant's `createLocalDiscovery({ registry })`. */
export interface LocalRegistry {
  now(): number;
  /** Adds or replaces a service; like Consul, a replacement resets its check. */
  register(def: ServiceDefinition): void;
  deregister(serviceId: string): void;
  updateCheck(checkId: string, status: CheckStatus, output: string): 'updated' | 'unknown';
  health(service: string): LocalHealthEntry[];
  /** Calls `listener` (in a later microtask, as a network watch would) after changes to `service`. */
  subscribe(service: string, listener: () => void): () => void;
}

interface Entry extends LocalHealthEntry {
  checkId: string;
  ttlMs: number;
  deregisterAfterMs: number;
  cancelTtl: () => void;
  cancelReap: () => void;
}

// Consul clamps DeregisterCriticalServiceAfter to check_deregister_interval_min (1m).
const MIN_DEREGISTER_AFTER_MS = 60_000;

/**
 * Creates one registry. Create it once per process and share it; there is no global one.
 *
 * @example
 * ```ts
 * const registry = createLocalRegistry({ clock: createSystemClock() });
 * const gatewayDiscovery = createLocalDiscovery({ registry });
 * const serverDiscovery = createLocalDiscovery({ registry, ttl: '30s' });
 * ```
 */
export function createLocalRegistry({ clock = createSystemClock() }: { clock?: Clock } = {}): LocalRegistry {
  const entries = new Map<string, Entry>();
  const listeners = new Map<string, Set<() => void>>();
  const dirty = new Set<string>();

  function changed(service: string): void {
    if (dirty.size === 0) queueMicrotask(flush);
    dirty.add(service);
  }

  function flush(): void {
    const services = [...dirty];
    dirty.clear();
    for (const service of services) for (const listener of [...(listeners.get(service) ?? [])]) listener();
  }

  function armTtl(entry: Entry): void {
    entry.cancelTtl();
    entry.cancelTtl = clock.schedule(function ttlExpired() {
      entry.status = 'critical';
      entry.output = expiredOutput(entry.output);
      armReap(entry);
      changed(entry.service);
    }, entry.ttlMs);
  }

  function armReap(entry: Entry): void {
    entry.cancelReap();
    entry.cancelReap = clock.schedule(function reap() {
      if (entries.get(entry.serviceId) !== entry) return;
      remove(entry);
    }, entry.deregisterAfterMs);
  }

  function remove(entry: Entry): void {
    entry.cancelTtl();
    entry.cancelReap();
    entries.delete(entry.serviceId);
    changed(entry.service);
  }

  function register(def: ServiceDefinition): void {
    const old = entries.get(def.id);
    if (old) remove(old);
    const entry: Entry = {
      service: def.name,
      serviceId: def.id,
      address: def.address,
      port: def.port,
      meta: { ...def.meta },
      tags: [...def.tags],
      status: def.check.status,
      output: '',
      checkId: def.check.checkid,
      ttlMs: parseGoDuration(def.check.ttl),
      deregisterAfterMs: Math.max(
        MIN_DEREGISTER_AFTER_MS,
        parseGoDuration(def.check.deregistercriticalserviceafter),
      ),
      cancelTtl: () => {},
      cancelReap: () => {},
    };
    entries.set(def.id, entry);
    armTtl(entry);
    if (entry.status === 'critical') armReap(entry);
    changed(entry.service);
  }

  function deregister(serviceId: string): void {
    const entry = entries.get(serviceId);
    if (entry) remove(entry);
  }

  function updateCheck(checkId: string, status: CheckStatus, output: string): 'updated' | 'unknown' {
    const entry = [...entries.values()].find((e) => e.checkId === checkId);
    if (!entry) return 'unknown';
    const same = entry.status === status && entry.output === output;
    // "Critical for" counts from the moment the check became critical, not from the last update.
    if (status !== 'critical') entry.cancelReap();
    else if (entry.status !== 'critical') armReap(entry);
    entry.status = status;
    entry.output = output;
    armTtl(entry);
    if (!same) changed(entry.service);
    return 'updated';
  }

  function health(service: string): LocalHealthEntry[] {
    return [...entries.values()]
      .filter((e) => e.service === service)
      .map(({ serviceId, address, port, meta, tags, status, output }) => ({
        service,
        serviceId,
        address,
        port,
        meta: { ...meta },
        tags: [...tags],
        status,
        output,
      }));
  }

  function subscribe(service: string, listener: () => void): () => void {
    const set = listeners.get(service) ?? new Set();
    listeners.set(service, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  return { now: () => clock.now(), register, deregister, updateCheck, health, subscribe };
}
