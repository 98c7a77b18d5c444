/**
 * @module
 * The pure parts of the Consul `Discovery` (`consul.ts` holds its state and calls): checking
 * durations up front, the service definition it registers, the instances a health answer
 * lists, and the warning about an agent that delays check output.
 */
import type { Logger } from '../telemetry/index.ts';
import {
  heartbeatCheckId,
  isCheckStatus,
  parseGoDuration,
  sortInstances,
  toInstance,
  toServiceDefinition,
  type ValidRegistration,
  worstStatus,
} from './codec.ts';
import { type ConnectOptions, validateConnect, withConnect } from './connect.ts';
import type { ConsulClient, HealthEntry } from './consul-client.ts';
import type { ServerInstance } from './types.ts';

/** The check timing of a registration, and the mesh sidecar it may carry. */
export interface ConsulCheckOptions {
  ttl: string;
  deregisterCriticalAfter: string;
  connect?: ConnectOptions;
}

/** Fails at construction, not at the first heartbeat, on a duration Consul would refuse. */
export function checkDurations({ ttl, deregisterCriticalAfter, connect }: ConsulCheckOptions): void {
  parseGoDuration(ttl);
  parseGoDuration(deregisterCriticalAfter);
  if (connect) parseGoDuration(validateConnect(connect).checkInterval);
}

/** The agent's service definition of a registration, with its sidecar in the mesh. */
export function consulDefinition(
  reg: ValidRegistration,
  { ttl, deregisterCriticalAfter, connect }: ConsulCheckOptions,
) {
  const def = toServiceDefinition(reg, { ttl, deregisterCriticalAfter });
  return connect ? withConnect(def, connect) : def;
}

/** The instances of a `/v1/health/service` answer, sorted. */
export function instancesOf(entries: HealthEntry[]): ServerInstance[] {
  return sortInstances(
    entries.map((e) => {
      const own = e.Checks.find((c) => c.CheckID === heartbeatCheckId(e.Service.ID));
      const statusOf = (c: { Status: string }) => (isCheckStatus(c.Status) ? c.Status : 'critical');
      // The process's own liveness: its TTL check and the node's checks (serfHealth), not the
      // sidecar's alias check; a missing TTL check counts as critical.
      const lifeChecks = e.Checks.filter((c) => c === own || c.ServiceID === '');
      return toInstance({
        serviceId: e.Service.ID,
        // An empty service address means "the node's address" in Consul.
        address: e.Service.Address || e.Node.Address,
        port: e.Service.Port,
        meta: e.Service.Meta ?? {},
        // Node checks (serfHealth) count too, as they do for Consul's own `?passing`.
        status: worstStatus(e.Checks.map(statusOf)),
        heartbeat: own ? worstStatus(lifeChecks.map(statusOf)) : 'critical',
        output: own?.Output ?? '',
      });
    }),
  );
}

/** Warns once an agent is seen to sync check output (the load) to the catalog only every few minutes. */
export async function warnIfOutputDelayed(client: ConsulClient, logger: Logger | undefined): Promise<void> {
  const interval = await client.checkUpdateIntervalMs();
  // With the default 5m the agent syncs an output-only change to the catalog only every 5 min,
  // so readers and the UI would see each server's load minutes late.
  if (interval !== undefined && interval > 0)
    logger?.warn(
      { check_update_interval_ms: interval },
      'consul agent delays check output (the load) in the catalog; set check_update_interval = "0s"',
    );
}
