/**
 * @module
 * What Prometheus should scrape, read from Consul: the `tank-gateway` and `tank-server`
 * instances (their own `/metrics`), and each of their sidecars whose proxy config names an
 * `envoy_prometheus_bind_addr` (Envoy's `/metrics` there). Debian's Prometheus has no Consul
 * discovery, so the gateway serves this list as HTTP service discovery.
 */
import { isCheckStatus, worstStatus } from './codec.ts';
import type { ConsulClient, HealthEntry } from './consul-client.ts';
import { type ScrapeTarget, ServiceName } from './types.ts';

/** The fields of a sidecar's health entry read here (Consul sends them; `HealthEntry` omits them). */
interface SidecarEntry extends HealthEntry {
  Service: HealthEntry['Service'] & {
    Proxy?: { DestinationServiceID?: string; Config?: Record<string, unknown> };
  };
}

function statusOf(entry: HealthEntry): ScrapeTarget['status'] {
  return worstStatus(entry.Checks.map((c) => (isCheckStatus(c.Status) ? c.Status : 'critical')));
}

function hostOf(entry: HealthEntry): string {
  // An empty service address means "the node's address" in Consul.
  return entry.Service.Address || entry.Node.Address;
}

/** `0.0.0.0:9102` is where Envoy listens, not where it is reached: use the instance's host. */
function reachable(bind: string, host: string): string {
  const at = bind.lastIndexOf(':');
  const bound = bind.slice(0, at);
  return bound === '0.0.0.0' || bound === '' || bound === '[::]' ? `${host}:${bind.slice(at + 1)}` : bind;
}

/**
 * @example
 * ```ts
 * const targets = await readScrapeTargets(client);
 * // [{ job: 'tank-server', address: '10.0.0.5:8001', serviceId: 'server-1', status: 'passing' }, …]
 * ```
 */
export async function readScrapeTargets(client: ConsulClient): Promise<ScrapeTarget[]> {
  const targets: ScrapeTarget[] = [];
  for (const job of [ServiceName.gateway, ServiceName.tankServer] as const) {
    const [apps, sidecars] = await Promise.all([
      client.healthService(job),
      client.healthService(`${job}-sidecar-proxy`),
    ]);
    for (const e of apps.entries) {
      targets.push({
        job,
        address: `${hostOf(e)}:${e.Service.Port}`,
        serviceId: e.Service.ID,
        status: statusOf(e),
      });
    }
    for (const e of sidecars.entries as SidecarEntry[]) {
      const bind = e.Service.Proxy?.Config?.envoy_prometheus_bind_addr;
      if (typeof bind !== 'string' || !bind.includes(':')) continue;
      targets.push({
        job: 'envoy',
        address: reachable(bind, hostOf(e)),
        serviceId: e.Service.Proxy?.DestinationServiceID ?? e.Service.ID,
        status: statusOf(e),
      });
    }
  }
  return targets.sort((a, b) => a.job.localeCompare(b.job) || a.serviceId.localeCompare(b.serviceId));
}
