/**
 * @module
 * How a server is written into the registry and read back: Meta, tags, the heartbeat output,
 * Go durations. Both adapters go through this one codec, so the in-process registry shows
 * readers exactly what Consul would.
 */
import { z } from 'zod';
import { InvalidRegistrationError } from './errors.ts';
import type { CheckStatus, ServerInstance, ServerLoad, ServerRegistration } from './types.ts';
import { ServiceName } from './types.ts';

// Consul rejects Meta values over 512 characters; catch that here with a readable message.
const metaValue = z.string().min(1).max(512);

const registrationSchema = z.object({
  service: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default(ServiceName.tankServer),
  serverId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  // 0.0.0.0 and :: are refused by Consul ("Invalid service address").
  address: z
    .string()
    .min(1)
    .refine((a) => a !== '0.0.0.0' && a !== '::', 'a reachable address, not 0.0.0.0 or ::'),
  port: z.number().int().min(1).max(65535),
  region: metaValue,
  zone: metaValue,
  version: metaValue,
  // The capabilities travel as one comma-separated Meta value.
  capabilities: z.array(z.string().regex(/^[a-z0-9_.:-]+$/, 'no commas or spaces')),
  publicUrl: metaValue,
  wsUrl: metaValue,
  startedAt: metaValue,
});

/** A registration checked and with its defaults filled in. */
export type ValidRegistration = z.output<typeof registrationSchema>;

/**
 * Checks a registration against what Consul accepts and fills in the default service name.
 *
 * @example
 * ```ts
 * const reg = validateRegistration(self); // throws InvalidRegistrationError, code invalid_registration
 * ```
 */
export function validateRegistration(self: ServerRegistration): ValidRegistration {
  const result = registrationSchema.safeParse(self);
  if (result.success) {
    if (result.data.capabilities.join(',').length > 512)
      throw new InvalidRegistrationError('capabilities: longer than 512 characters when joined');
    return result.data;
  }
  const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new InvalidRegistrationError(`invalid registration: ${detail}`, { cause: result.error });
}

/** The heartbeat check's ID: explicit, so a pass never misses it (Consul's implicit IDs shift). */
export function heartbeatCheckId(serverId: string): string {
  return `service:${serverId}:ttl`;
}

/**
 * The service definition both adapters register, in the `consul` client's spelling (it
 * lower-cases keys and maps them to Consul's, e.g. `checkid` → `CheckID`).
 */
export interface ServiceDefinition {
  name: string;
  id: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  check: {
    checkid: string;
    name: string;
    notes: string;
    ttl: string;
    deregistercriticalserviceafter: string;
    status: CheckStatus;
  };
}

/**
 * The definition of one registration: ID = server id, tags and Meta for the UI, and a TTL
 * heartbeat that starts passing, because every re-registration resets the check to the status
 * given here and a critical start would flap the server out of every reader's view.
 */
export function toServiceDefinition(
  reg: ValidRegistration,
  { ttl, deregisterCriticalAfter }: { ttl: string; deregisterCriticalAfter: string },
): ServiceDefinition {
  const who = reg.service === ServiceName.gateway ? 'Gateway' : 'Tank server';
  return {
    name: reg.service,
    id: reg.serverId,
    address: reg.address,
    port: reg.port,
    tags: toTags(reg),
    meta: toMeta(reg),
    check: {
      checkid: heartbeatCheckId(reg.serverId),
      name: `${who} heartbeat`,
      notes: `TTL ${ttl}, passed with the load as output; deregistered ${deregisterCriticalAfter} after going critical`,
      ttl,
      deregistercriticalserviceafter: deregisterCriticalAfter,
      status: 'passing',
    },
  };
}

/** Service Meta: keys `[a-z0-9_]` so they work in filters without bracket syntax. */
function toMeta(reg: ValidRegistration): Record<string, string> {
  return {
    server_id: reg.serverId,
    region: reg.region,
    zone: reg.zone,
    version: reg.version,
    public_url: reg.publicUrl,
    ws_url: reg.wsUrl,
    capabilities: reg.capabilities.join(','),
    started_at: reg.startedAt,
  };
}

/** Tags show in the UI's instance list (Meta only on the instance page). */
function toTags(reg: ValidRegistration): string[] {
  return [reg.region, reg.zone, `v${reg.version}`];
}

const LOAD_FIELDS = [
  ['tanks', 'tank_count', ''],
  ['cpu', 'cpu_percent', '%'],
  ['mem', 'memory_mb', 'MB'],
  ['viewers', 'ws_connections', ''],
  ['behind', 'ticks_behind', ''],
] as const;

/**
 * The heartbeat output an operator reads in the Consul UI, e.g.
 * `tanks=14 cpu=22% mem=180MB viewers=240 behind=0`. Fractions keep one decimal.
 *
 * @example
 * ```ts
 * formatLoad({ tank_count: 14, cpu_percent: 22, memory_mb: 180, ws_connections: 240, ticks_behind: 0 });
 * parseLoad('tanks=14 cpu=22% mem=180MB viewers=240 behind=0'); // the same load back
 * ```
 */
export function formatLoad(load: ServerLoad): string {
  return LOAD_FIELDS.map(([label, key, unit]) => `${label}=${round1(load[key])}${unit}`).join(' ');
}

function round1(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : 0;
}

/**
 * Reads a load back out of a check output. Works on Consul's expiry text too
 * (`TTL expired (last output before timeout follows): tanks=…`), which keeps the last load.
 */
export function parseLoad(output: string): ServerLoad | undefined {
  const load: Partial<Record<keyof ServerLoad, number>> = {};
  for (const [label, key, unit] of LOAD_FIELDS) {
    const match = new RegExp(`(?:^|\\s)${label}=(-?\\d+(?:\\.\\d+)?)${unit}(?=\\s|$)`).exec(output);
    if (!match) return undefined;
    load[key] = Number(match[1]);
  }
  return load as ServerLoad;
}

/** What a TTL check says when it lapses; the same words as Consul's agent. */
export function expiredOutput(lastOutput: string): string {
  return lastOutput ? `TTL expired (last output before timeout follows): ${lastOutput}` : 'TTL expired';
}

const STATUS_RANK: Record<CheckStatus, number> = { passing: 0, warning: 1, critical: 2 };

/** An instance is as healthy as its sickest check, as Consul's own `?passing` judges it. */
export function worstStatus(statuses: CheckStatus[]): CheckStatus {
  let worst: CheckStatus = 'passing';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

export function isCheckStatus(s: unknown): s is CheckStatus {
  return s === 'passing' || s === 'warning' || s === 'critical';
}

/** One instance as read from Meta, the service address and the heartbeat output. */
export function toInstance(input: {
  serviceId: string;
  address: string;
  port: number;
  meta: Record<string, string>;
  status: CheckStatus;
  /** The heartbeat and node checks alone, when other checks (a sidecar's) count in `status`. */
  heartbeat?: CheckStatus;
  output: string;
}): ServerInstance {
  const { meta } = input;
  const load = parseLoad(input.output);
  return {
    serverId: meta.server_id ?? input.serviceId,
    address: input.address,
    port: input.port,
    region: meta.region ?? '',
    zone: meta.zone ?? '',
    version: meta.version ?? '',
    capabilities: meta.capabilities ? meta.capabilities.split(',') : [],
    publicUrl: meta.public_url ?? '',
    wsUrl: meta.ws_url ?? '',
    startedAt: meta.started_at ?? '',
    status: input.status,
    heartbeat: input.heartbeat ?? input.status,
    ...(load ? { load } : {}),
    lastOutput: input.output,
  };
}

/** Stable order, so two reads of the same registry compare equal. */
export function sortInstances(list: ServerInstance[]): ServerInstance[] {
  return list.sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0));
}

/** Warning counts as healthy: overloaded servers still serve, placement just avoids them. */
export function healthyOnly(list: ServerInstance[]): ServerInstance[] {
  return list.filter((s) => s.status !== 'critical');
}

/**
 * What a watcher is told about: membership, status and registration fields. Load and output
 * are left out, because heartbeats change them every few seconds and that is not news.
 */
export function membershipKey(list: ServerInstance[]): string {
  return JSON.stringify(list.map(({ load: _load, lastOutput: _output, ...rest }) => rest));
}

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Milliseconds in a Go duration (`30s`, `1m30s`, `1500ms`), the format Consul takes.
 *
 * @example
 * ```ts
 * parseGoDuration('1m30s'); // 90000
 * ```
 */
export function parseGoDuration(value: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value)
    ? [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
    : [];
  if (parts.length === 0) throw new InvalidRegistrationError(`not a duration: ${JSON.stringify(value)}`);
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * DURATION_UNIT_MS[unit], 0);
}
