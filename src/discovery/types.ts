/**
 * @module
 * The `Discovery` contract shared by the Consul adapter and the in-process registry: who is
 * alive, how loaded, and where to reach them.
 */
import type { Logger } from '../telemetry/index.ts';

/** Consul service names this project registers. */
export const ServiceName = {
  tankServer: 'tank-server',
  gateway: 'tank-gateway',
} as const;

/** Health of one instance, in Consul's words. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** What a process says about itself when it joins the network. */
export interface ServerRegistration {
  /** Consul service name; `tank-server` unless the gateway registers itself (`tank-gateway`). */
  service?: string;
  /** Unique across the network; becomes the Consul service ID. `[a-z0-9][a-z0-9-]*`. */
  serverId: string;
  /** An IP other members reach this process at (Envoy rejects hostnames). */
  address: string;
  port: number;
  region: string;
  zone: string;
  /** Semantic version of the server build, e.g. `2.0.0`. */
  version: string;
  /** Feature names, e.g. `['poker', 'transfer']`; each `[a-z0-9_.:-]+`. */
  capabilities: string[];
  /** REST base URL browsers and curl use. */
  publicUrl: string;
  /** WebSocket base URL browsers open to watch a tank. */
  wsUrl: string;
  /** ISO 8601 start time of the process. */
  startedAt: string;
}

/** Live load a server reports with every heartbeat. */
export interface ServerLoad {
  tank_count: number;
  cpu_percent: number;
  memory_mb: number;
  ws_connections: number;
  ticks_behind: number;
}

/** One registered instance as readers see it. */
export interface ServerInstance {
  serverId: string;
  address: string;
  port: number;
  region: string;
  zone: string;
  version: string;
  capabilities: string[];
  publicUrl: string;
  wsUrl: string;
  startedAt: string;
  /** The worst of the instance's checks (its heartbeat and, on Consul, its node's and sidecar's). */
  status: CheckStatus;
  /**
   * Whether the process itself answers its TTL: its heartbeat check, worst with its node's
   * checks, without the sidecar's alias check (a dead sidecar makes the instance critical, but
   * the process behind it still holds its lease). Failover counts from this. Absent: `status`.
   */
  heartbeat?: CheckStatus;
  /** Parsed back from the heartbeat output; absent before the first heartbeat. */
  load?: ServerLoad;
  /** The heartbeat check's output as the operator sees it in the Consul UI. */
  lastOutput: string;
}

/** The last view a reader got, for serving while discovery is unreachable. */
export interface LastKnownView {
  /** Healthy (passing or warning) instances of the last successful read. */
  servers: ServerInstance[];
  /** When that read succeeded; `null` if none has yet. */
  at: Date | null;
  /** Always true: this is a remembered view, so say so to whoever is served from it. */
  stale: true;
}

export interface PassTtlOptions {
  /** `warning` when the caller is overloaded: still healthy, but placement should avoid it. */
  status?: 'passing' | 'warning';
}

/** A running watch; `stop()` ends it and cancels its in-flight query. */
export interface WatchHandle {
  stop(): void;
}

/**
 * Registration, TTL heartbeats and the live view of tank servers. Every method is async;
 * `close()` may be called any number of times.
 *
 * @example
 * ```ts
 * await discovery.register({ serverId: 'alpha', address: '10.0.0.5', port: 8001, … });
 * setInterval(() => discovery.passTtl(currentLoad()), 10_000);
 * const servers = await discovery.healthyServers();
 * ```
 */
export interface Discovery {
  /**
   * Joins the network, heartbeat passing from the start. Registering again with the same
   * `serverId` replaces the definition (and resets the check, as Consul does).
   */
  register(self: ServerRegistration): Promise<void>;
  /**
   * Heartbeat: resets the TTL and publishes the load as the check output. If the registry
   * forgot this instance (agent restart, reaped after going critical), registers it again.
   */
  passTtl(load: ServerLoad, options?: PassTtlOptions): Promise<void>;
  /** Leaves the network; a no-op when not registered. */
  deregister(): Promise<void>;
  /** Passing and warning instances of `tank-server`; rejects when discovery is unreachable. */
  healthyServers(): Promise<ServerInstance[]>;
  /**
   * Calls `onChange` with every registered `tank-server` instance (critical ones included, each
   * with its status) once at start and then whenever the membership or a status changes; a
   * load-only change does not call it. Errors are retried in the background.
   */
  watch(onChange: (servers: ServerInstance[]) => void): Promise<WatchHandle>;
  /** The healthy instances of the last successful read, marked stale. */
  lastKnown(): Promise<LastKnownView>;
  /** Stops every watch and deregisters if registered. Idempotent. */
  close(): Promise<void>;
}

/** Options both adapters share. */
export interface DiscoveryOptions {
  /** TTL of the heartbeat check as a Go duration (`30s`, `1500ms`). */
  ttl?: string;
  /** Deregister after the check stayed critical this long (Go duration, Consul's minimum is 1m). */
  deregisterCriticalAfter?: string;
  /** Receives one line per reachability change, never one per failed call. */
  logger?: Logger;
}
