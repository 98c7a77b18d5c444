/**
 * @module
 * Discovery: which tank servers are alive, how loaded, and where to reach them. One interface,
 * two implementations: a Consul agent (distributed mode) and an in-process registry with
 * Consul's TTL semantics (the embedded default). Only `src/cli.ts` picks one.
 *
 * @example
 * ```ts
 * const discovery = config.distributed
 *   ? createConsulDiscovery({ consulAddr: config.consulAddr, token: config.consulToken, logger })
 *   : createLocalDiscovery({ registry }); // one `createLocalRegistry()` per process, shared
 * ```
 */
export { parseGoDuration } from './codec.ts';
export {
  type ConnectOptions,
  type ConnectUpstream,
  sidecarServiceId,
  TANK_SERVER_HEADER,
} from './connect.ts';
export { type ConsulDiscoveryOptions, createConsulDiscovery } from './consul.ts';
export type { WatchRound } from './consul-reads.ts';
export {
  DiscoveryClosedError,
  DiscoveryError,
  DiscoveryUnavailableError,
  InvalidRegistrationError,
  NotRegisteredError,
} from './errors.ts';
export { createLocalDiscovery, type LocalDiscoveryOptions } from './local.ts';
export {
  type Clock,
  createLocalRegistry,
  createSystemClock,
  type LocalHealthEntry,
  type LocalRegistry,
} from './local-registry.ts';
export {
  type CheckStatus,
  type Discovery,
  type DiscoveryOptions,
  type LastKnownView,
  type PassTtlOptions,
  type ScrapeTarget,
  type ServerInstance,
  type ServerLoad,
  type ServerRegistration,
  ServiceName,
  type WatchHandle,
} from './types.ts';
