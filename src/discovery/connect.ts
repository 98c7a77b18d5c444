/**
 * @module
 * Consul Connect for a registration: the service gets an Envoy sidecar (`connect {
 * sidecar_service {} }`) with the upstreams it calls, and an alias check on that sidecar, so an
 * instance whose Envoy is down turns critical in `/v1/health/service/<name>` and readers (the
 * gateway's placement) stop choosing it.
 */
import { z } from 'zod';
import type { ServiceDefinition } from './codec.ts';
import { InvalidRegistrationError } from './errors.ts';

/**
 * The header a caller sets on a request to its `tank-server` upstream to reach one server: the
 * mesh's service-router picks that server's subset by it, and the server refuses (421) a request
 * naming another server.
 */
export const TANK_SERVER_HEADER = 'x-tank-server';

/** One upstream of the sidecar: a local port that leads, over mTLS, to `destinationName`. */
export interface ConnectUpstream {
  destinationName: string;
  localBindPort: number;
  /** Default: 127.0.0.1 (Envoy's default for upstream listeners). */
  localBindAddress?: string;
}

/** How a process joins the service mesh; see {@link withConnect}. */
export interface ConnectOptions {
  /** Port of the sidecar's public (mTLS) listener, the one other sidecars dial. */
  sidecarPort: number;
  /**
   * Address the public listener binds. Default: Envoy's 0.0.0.0 (a container); the native mesh
   * on one host passes 127.0.0.1.
   */
  bindAddress?: string;
  upstreams?: ConnectUpstream[];
  /**
   * Where the sidecar forwards what comes in over mTLS: this port on 127.0.0.1 (a listener of
   * the app's that only the sidecar, in the app's network namespace, reaches). Default: the
   * service's own address and port.
   */
  localServicePort?: number;
  /** How often the agent dials the sidecar's public port (its health). Go duration, default `2s`. */
  checkInterval?: string;
  /**
   * Envoy serves Prometheus `/metrics` on this port (on `bindAddress`), through Consul's
   * `envoy_prometheus_bind_addr`; Prometheus finds it in the sidecar's proxy config.
   */
  metricsPort?: number;
}

const connectSchema = z.object({
  sidecarPort: z.number().int().min(1).max(65535),
  bindAddress: z.string().min(1).optional(),
  upstreams: z
    .array(
      z.object({
        destinationName: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
        localBindPort: z.number().int().min(1).max(65535),
        localBindAddress: z.string().min(1).optional(),
      }),
    )
    .default([]),
  localServicePort: z.number().int().min(1).max(65535).optional(),
  checkInterval: z.string().default('2s'),
  metricsPort: z.number().int().min(1).max(65535).optional(),
});

/** A service definition with a sidecar, in the `consul` client's spelling. */
export interface ConnectServiceDefinition extends Omit<ServiceDefinition, 'check'> {
  checks: Array<ServiceDefinition['check'] | AliasCheck>;
  connect: { sidecarservice: SidecarDefinition };
}

interface AliasCheck {
  checkid: string;
  name: string;
  notes: string;
  aliasservice: string;
}

interface SidecarDefinition {
  port: number;
  checks: Array<{ checkid: string; name: string; tcp: string; interval: string }>;
  proxy: {
    destinationservicename: string;
    destinationserviceid: string;
    localserviceaddress?: string;
    localserviceport?: number;
    config?: Record<string, string>;
    // Passed through verbatim by the client, so written the way the agent spells it.
    upstreams: Array<{ DestinationName: string; LocalBindPort: number; LocalBindAddress?: string }>;
  };
}

/** The sidecar's `proxy.config`: where it binds, and its metrics listener. */
function proxyConfigOf(connect: z.output<typeof connectSchema>): { config?: Record<string, string> } {
  const config: Record<string, string> = {};
  if (connect.bindAddress) config.bind_address = connect.bindAddress;
  if (connect.metricsPort !== undefined)
    config.envoy_prometheus_bind_addr = `${connect.bindAddress ?? '0.0.0.0'}:${connect.metricsPort}`;
  return Object.keys(config).length > 0 ? { config } : {};
}

/** The sidecar's service ID, as Consul names it when none is given. */
export function sidecarServiceId(serviceId: string): string {
  return `${serviceId}-sidecar-proxy`;
}

/**
 * Checks Connect options once, at construction, so a bad port fails the command, not a heartbeat.
 *
 * @example
 * ```ts
 * validateConnect({ sidecarPort: 21000, upstreams: [{ destinationName: 'tank-server', localBindPort: 9001 }] });
 * ```
 */
export function validateConnect(options: ConnectOptions): z.output<typeof connectSchema> {
  const result = connectSchema.safeParse(options);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new InvalidRegistrationError(`invalid connect options: ${detail}`, { cause: result.error });
}

/**
 * Adds the sidecar to a service definition. The sidecar keeps no Meta of its own, so it
 * inherits the service's (`server_id`), which the per-instance subsets of the
 * `service-resolver` filter on. Its only check is a TCP dial of its public port: Consul's
 * default set would also alias the service, and with the service aliasing the sidecar that
 * would be a loop.
 *
 * @example
 * ```ts
 * const def = withConnect(toServiceDefinition(reg, { ttl, deregisterCriticalAfter }), { sidecarPort: 21000 });
 * ```
 */
export function withConnect(def: ServiceDefinition, options: ConnectOptions): ConnectServiceDefinition {
  const connect = validateConnect(options);
  const sidecarId = sidecarServiceId(def.id);
  const { check, ...rest } = def;
  const dialHost =
    connect.bindAddress && connect.bindAddress !== '0.0.0.0' ? connect.bindAddress : def.address;
  return {
    ...rest,
    checks: [
      check,
      {
        checkid: `service:${def.id}:sidecar`,
        name: 'Envoy sidecar',
        notes: `Mirrors ${sidecarId}: critical while this instance's Envoy is down, since the mesh cannot reach it then`,
        aliasservice: sidecarId,
      },
    ],
    connect: {
      sidecarservice: {
        port: connect.sidecarPort,
        checks: [
          {
            checkid: `service:${sidecarId}:listening`,
            name: 'Envoy public listener',
            tcp: `${dialHost}:${connect.sidecarPort}`,
            interval: connect.checkInterval,
          },
        ],
        proxy: {
          destinationservicename: def.name,
          destinationserviceid: def.id,
          ...(connect.localServicePort === undefined
            ? {}
            : { localserviceaddress: '127.0.0.1', localserviceport: connect.localServicePort }),
          ...proxyConfigOf(connect),
          upstreams: connect.upstreams.map((u) => ({
            DestinationName: u.destinationName,
            LocalBindPort: u.localBindPort,
            ...(u.localBindAddress ? { LocalBindAddress: u.localBindAddress } : {}),
          })),
        },
      },
    },
  };
}
