/**
 * @module
 * The mesh's Consul config entries, written once here and used by `tankworld mesh up`, the mesh
 * tests and (as the JSON files in `consul/config-entries/`, which a test keeps equal to this)
 * compose: L7 protocol, default-deny intentions that allow only the two calls the system makes (gateway → server,
 * server → server), and
 * per-instance routing (a subset per `Meta.server_id`, chosen by the `x-tank-server` header).
 */
import { TANK_SERVER_HEADER } from '../discovery/index.ts';
import { MeshError, MeshErrorCode } from './errors.ts';

export { TANK_SERVER_HEADER };

/** Service names the entries talk about (the same as `src/discovery`'s `ServiceName`). */
export const MeshService = { tankServer: 'tank-server', gateway: 'tank-gateway' } as const;

/** One config entry in the shape `PUT /v1/config` and `consul config write` take. */
export interface ConfigEntry {
  Kind: string;
  Name: string;
  [field: string]: unknown;
}

const SERVER_ID = /^[a-z0-9][a-z0-9-]{0,60}$/;

/**
 * Consul's escape hatches that give every sidecar Envoy's Zipkin tracer: a static cluster for
 * the collector and the tracer on each HTTP listener. Consul's listeners sample none on their
 * own, so a request is traced when the app sending it says so (B3 `x-b3-sampled: 1`).
 */
function envoyZipkin({ host, port }: { host: string; port: number }): Record<string, string> {
  return {
    envoy_tracing_json: JSON.stringify({
      http: {
        name: 'envoy.tracers.zipkin',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
          collector_cluster: 'zipkin',
          collector_endpoint_version: 'HTTP_JSON',
          collector_endpoint: '/api/v2/spans',
          shared_span_context: false,
        },
      },
    }),
    envoy_extra_static_clusters_json: JSON.stringify({
      name: 'zipkin',
      type: 'STATIC',
      connect_timeout: '1s',
      load_assignment: {
        cluster_name: 'zipkin',
        endpoints: [
          {
            lb_endpoints: [
              { endpoint: { address: { socket_address: { address: host, port_value: port } } } },
            ],
          },
        ],
      },
    }),
  };
}

/** The subset holding the instances (their sidecars) of server `serverId`. */
export function subsetName(serverId: string): string {
  return `s-${serverId}`;
}

/**
 * Every entry, in the order they must be written: protocol first (routers need L7), the resolver
 * before the router that names its subsets, the wildcard deny before the allows.
 *
 * @example
 * ```ts
 * const entries = meshConfigEntries({ serverIds: ['server-1', 'server-2'] });
 * await applyConfigEntries({ consulUrl: consul.url, entries });
 * ```
 */
export function meshConfigEntries({
  serverIds,
  zipkin,
}: {
  serverIds: readonly string[];
  /** Where every sidecar sends its spans (Envoy's Zipkin tracer); none when absent. */
  zipkin?: { host: string; port: number };
}): ConfigEntry[] {
  for (const id of serverIds) {
    // Subset names must be DNS labels (≤ 63): `s-` plus the id.
    if (!SERVER_ID.test(id))
      throw new MeshError(MeshErrorCode.invalidOption, `not a server id: ${JSON.stringify(id)}`);
  }
  return [
    // Every proxy speaks HTTP, so Envoy routes per request and intentions are L7-capable.
    {
      Kind: 'proxy-defaults',
      Name: 'global',
      Config: { protocol: 'http', ...(zipkin ? envoyZipkin(zipkin) : {}) },
    },
    { Kind: 'service-defaults', Name: MeshService.tankServer, Protocol: 'http' },
    { Kind: 'service-defaults', Name: MeshService.gateway, Protocol: 'http' },
    // Without ACLs Consul allows what no intention names; the wildcard turns that into deny.
    {
      Kind: 'service-intentions',
      Name: '*',
      Sources: [{ Name: '*', Action: 'deny', Description: 'default deny: only the calls below' }],
    },
    {
      Kind: 'service-intentions',
      Name: MeshService.tankServer,
      Sources: [
        { Name: MeshService.gateway, Action: 'allow', Description: 'proxy, create, adopt, 2PC coordinator' },
        { Name: MeshService.tankServer, Action: 'allow', Description: 'transfers between servers' },
      ],
    },
    {
      Kind: 'service-resolver',
      Name: MeshService.tankServer,
      ConnectTimeout: '5s',
      Subsets: Object.fromEntries(
        serverIds.map((id) => [
          subsetName(id),
          { Filter: `Service.Meta.server_id == "${id}"`, OnlyPassing: true },
        ]),
      ),
    },
    {
      Kind: 'service-router',
      Name: MeshService.tankServer,
      // A header naming no listed server falls through to any instance; the server then answers
      // 421, so a misroute never serves another server's tank.
      Routes: serverIds.map((id) => ({
        Match: { HTTP: { Header: [{ Name: TANK_SERVER_HEADER, Exact: id }] } },
        Destination: { ServiceSubset: subsetName(id) },
      })),
    },
  ];
}

/** The file name an entry has in `consul/config-entries/`; the number keeps the write order. */
export function configEntryFileName(entry: ConfigEntry, index: number): string {
  const name = entry.Name === '*' ? 'all' : entry.Name;
  return `${String(index + 1).padStart(2, '0')}-${entry.Kind}-${name}.json`;
}

export interface ApplyConfigEntriesOptions {
  /** The agent's HTTP base URL, e.g. `http://127.0.0.1:8500`. */
  consulUrl: string;
  entries: readonly ConfigEntry[];
  token?: string;
  timeoutMs?: number;
}

/**
 * Writes each entry with `PUT /v1/config` in order; throws on the first one the agent refuses,
 * with its reason (the agent validates: an unknown subset, a router on a TCP service).
 *
 * @example
 * ```ts
 * await applyConfigEntries({ consulUrl: 'http://127.0.0.1:8500', entries: meshConfigEntries({ serverIds }) });
 * ```
 */
export async function applyConfigEntries({
  consulUrl,
  entries,
  token,
  timeoutMs = 10_000,
}: ApplyConfigEntriesOptions): Promise<void> {
  for (const entry of entries) {
    const res = await fetch(`${consulUrl}/v1/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { 'x-consul-token': token } : {}) },
      body: JSON.stringify(entry),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await res.text()).trim();
    if (!res.ok || text !== 'true') {
      throw new MeshError(
        MeshErrorCode.startFailed,
        `consul refused config entry ${entry.Kind}/${entry.Name}: ${res.status} ${text}`,
      );
    }
  }
}

/**
 * Deletes the entries written by {@link applyConfigEntries}, last first (a router before the
 * resolver it uses). Entries already gone are fine.
 */
export async function deleteConfigEntries({
  consulUrl,
  entries,
  token,
}: ApplyConfigEntriesOptions): Promise<void> {
  for (const entry of [...entries].reverse()) {
    const res = await fetch(`${consulUrl}/v1/config/${entry.Kind}/${encodeURIComponent(entry.Name)}`, {
      method: 'DELETE',
      headers: token ? { 'x-consul-token': token } : {},
    });
    await res.text();
    if (!res.ok && res.status !== 404) {
      throw new MeshError(
        MeshErrorCode.startFailed,
        `consul refused to delete ${entry.Kind}/${entry.Name}: ${res.status}`,
      );
    }
  }
}
