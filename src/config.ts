/**
 * @module
 * Configuration: command-line flags over environment variables over defaults, validated once
 * with zod when a command starts. Nothing else in src/ reads `process.env`. Every secret setting
 * can also come from a file named by `<NAME>_FILE` (Docker and Kubernetes secrets are files).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { applyFleetProfile, FLEET_ENV, fleetSettings, fleetTiming } from './config-fleet.ts';
import { LIMIT_ENV, limitSettings } from './config-limits.ts';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const millis = z.coerce.number().int().positive();
const serverId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'lower-case letters, digits and dashes (it becomes a Consul service id and a DNS label)',
  );

/** Settings every command shares. */
const commonSchema = z.object({
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  distributed: bool.default(false),
  databaseUrl: z.string().url().optional(),
  dataDir: z.string().default('./data'),
  /** A fresh PGlite data directory as a tarball, unpacked instead of initdb (set by scripts/run.sh). */
  pgliteTemplate: z.string().optional(),
  redisUrl: z.string().url().optional(),
  consulAddr: z.string().default('127.0.0.1:8500'),
  consulToken: z.string().optional(),
  /** HS256 secret for user JWTs; in the embedded default one is made and kept under dataDir. */
  jwtSecret: z.string().min(16).optional(),
  jwksUrl: z.string().url().optional(),
  /** The `iss` and `aud` user tokens must carry: an identity provider's own with `jwksUrl`. */
  jwtIssuer: z.string().min(1).default('tankworld'),
  jwtAudience: z.string().min(1).default('tankworld'),
  /** HMAC secret for internal (gateway ↔ server) requests. */
  internalSecret: z.string().min(16).optional(),
  otlpEndpoint: z.string().url().optional(),
  /** Consul Connect: the port of this process's Envoy sidecar public listener; unset = no mesh. */
  connectSidecarPort: port.optional(),
  /** Address that listener binds (Envoy's default 0.0.0.0; the native mesh uses 127.0.0.1). */
  connectBindAddress: z.string().optional(),
  /** Local port of the sidecar's `tank-server` upstream: calls to servers go there, over mTLS. */
  connectUpstreamPort: port.optional(),
  ...limitSettings,
});

const serverSchema = commonSchema.extend({
  host: z.string().default('127.0.0.1'),
  port: port.default(8001),
  serverId: serverId.default('server-1'),
  region: z.string().default('local'),
  zone: z.string().default('local-a'),
  /** Base URLs browsers and curl use; derived from host:port when absent. */
  publicUrl: z.string().url().optional(),
  wsUrl: z.string().optional(),
  /** Address other mesh members use to reach this server (Consul service Address). */
  advertiseAddress: z.string().optional(),
  discovery: z.enum(['consul', 'local']).optional(),
  tickHz: z.coerce.number().positive().max(240).default(30),
  broadcastHz: z.coerce.number().positive().max(60).default(15),
  snapshotIntervalMs: millis.default(5000),
  ...fleetSettings,
  deregisterAfter: z.string().default('1m'),
  maxTanks: z.coerce.number().int().positive().default(2000),
  /**
   * A tank server's mesh listener on 127.0.0.1, which its sidecar forwards to (the sidecar's
   * local service port): every route, `/internal/*` included; the public port then keeps REST
   * and WebSockets and refuses `/internal/*`. Unset = the sidecar forwards to the public port.
   */
  connectLocalPort: port.min(1).optional(),
});

const gatewaySchema = commonSchema.extend({
  host: z.string().default('127.0.0.1'),
  port: port.default(8080),
  gatewayId: serverId.default('gateway-1'),
  region: z.string().default('local'),
  zone: z.string().default('local-a'),
  discovery: z.enum(['consul', 'local']).optional(),
  publicUrl: z.string().url().optional(),
  advertiseAddress: z.string().optional(),
  ...fleetSettings,
  deregisterAfter: z.string().default('1m'),
  /**
   * How long a tank server's heartbeat check stays critical before its tanks move to healthy
   * ones; 0 = never; unset = the lease margin plus one failover round (docs/failover.md).
   */
  failoverGraceMs: z.coerce.number().int().min(0).optional(),
  /** Period of the transfer recovery pass; a transfer idle twice as long is taken over. */
  transferRecoveryMs: millis.default(5000),
  /** The built web app served at `/`; the project's `web/dist` when absent. */
  webRoot: z.string().optional(),
});

export type CommonConfig = z.infer<typeof commonSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;

/** Environment variable for each setting (the same names in compose.yaml and the README). */
const ENV: Record<string, string> = {
  logLevel: 'LOG_LEVEL',
  distributed: 'DISTRIBUTED_MODE',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'TANKWORLD_DATA_DIR',
  pgliteTemplate: 'TANKWORLD_PGLITE_TEMPLATE',
  redisUrl: 'REDIS_URL',
  consulAddr: 'CONSUL_HTTP_ADDR',
  consulToken: 'CONSUL_HTTP_TOKEN',
  jwtSecret: 'JWT_SECRET',
  jwksUrl: 'JWKS_URL',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  internalSecret: 'INTERNAL_SECRET',
  otlpEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  connectSidecarPort: 'CONNECT_SIDECAR_PORT',
  connectBindAddress: 'CONNECT_BIND_ADDRESS',
  connectUpstreamPort: 'CONNECT_UPSTREAM_PORT',
  connectLocalPort: 'CONNECT_LOCAL_PORT',
  ...LIMIT_ENV,
  host: 'HOST',
  port: 'PORT',
  serverId: 'SERVER_ID',
  region: 'REGION',
  zone: 'ZONE',
  publicUrl: 'PUBLIC_URL',
  wsUrl: 'WS_URL',
  advertiseAddress: 'ADVERTISE_ADDRESS',
  discovery: 'DISCOVERY',
  tickHz: 'TICK_HZ',
  broadcastHz: 'BROADCAST_HZ',
  snapshotIntervalMs: 'SNAPSHOT_INTERVAL_MS',
  ...FLEET_ENV,
  deregisterAfter: 'DEREGISTER_AFTER',
  maxTanks: 'MAX_TANKS',
  gatewayId: 'GATEWAY_ID',
  failoverGraceMs: 'FAILOVER_GRACE_MS',
  transferRecoveryMs: 'TRANSFER_RECOVERY_MS',
  webRoot: 'WEB_ROOT',
};

/**
 * Settings that carry a secret (the URLs hold passwords): each may instead be read from the file
 * `<NAME>_FILE` names, so a secret need not sit in the environment, `docker inspect` or `ps e`.
 */
const SECRET_KEYS = ['jwtSecret', 'internalSecret', 'consulToken', 'databaseUrl', 'redisUrl'] as const;
const FILE_SUFFIX = '_FILE';

/** `JWT_SECRET_FILE`, … : the file variant of each secret setting's variable. */
export function secretFileEnvNames(): string[] {
  return SECRET_KEYS.map((key) => `${ENV[key]}${FILE_SUFFIX}`);
}

/**
 * Every environment variable a command reads, the `*_FILE` variants included (deploy files are
 * checked against this list).
 */
export function configEnvNames(): string[] {
  return [...Object.values(ENV), ...secretFileEnvNames()];
}

export { ConfigError } from './config-error.ts';

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function collect(keys: string[], argv: string[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const options = Object.fromEntries(keys.map((k) => [kebab(k), { type: 'string' as const }]));
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options, allowPositionals: true, strict: true }).values as Record<
      string,
      string | undefined
    >;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const value = flags[kebab(key)] ?? (ENV[key] ? fromEnv(key, ENV[key], env) : undefined);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return raw;
}

/** A setting's value from `NAME`, or for a secret from the file `NAME_FILE` names (not both). */
function fromEnv(key: string, name: string, env: NodeJS.ProcessEnv): string | undefined {
  const direct = env[name];
  const file = (SECRET_KEYS as readonly string[]).includes(key) ? env[`${name}${FILE_SUFFIX}`] : undefined;
  if (file === undefined || file === '') return direct;
  if (direct !== undefined && direct !== '')
    throw new ConfigError(`${name} and ${name}${FILE_SUFFIX} are both set: give the value one way`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}${FILE_SUFFIX}: cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Files written by editors and `echo` end in a newline that is no part of the secret.
  const value = text.replace(/\r?\n$/, '');
  // An empty file would otherwise read as "not set", and the embedded default would quietly
  // make its own secret.
  if (value === '') throw new ConfigError(`${name}${FILE_SUFFIX}: ${file} is empty`);
  return value;
}

function parse<S extends z.ZodObject>(schema: S, argv: string[], env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(applyFleetProfile(collect(Object.keys(schema.shape), argv, env)));
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    const name = ENV[key];
    const file =
      name && (SECRET_KEYS as readonly string[]).includes(key) ? ` (or ${name}${FILE_SUFFIX})` : '';
    return `  --${kebab(key)}${name ? ` / ${name}${file}` : ''}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/**
 * @example
 * ```ts
 * const config = loadServerConfig(['--port', '9001', '--server-id', 'beta'], process.env);
 * ```
 */
export function loadServerConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const config = parse(serverSchema, argv, env);
  fleetTiming(config);
  return config;
}

export function loadGatewayConfig(argv: string[], env: NodeJS.ProcessEnv): GatewayConfig {
  const config = parse(gatewaySchema, argv, env);
  fleetTiming(config);
  return config;
}

export function loadCommonConfig(argv: string[], env: NodeJS.ProcessEnv): CommonConfig {
  return parse(commonSchema, argv, env);
}

/**
 * Where the crash tests arm fault points (`src/fault`). Read here with every other setting,
 * though not a flag nor in `configEnvNames()`: they are for tests, never for an operator.
 */
export interface CrashConfig {
  /** `TANKWORLD_CRASH_AT`: the points armed from the start, comma or newline separated. */
  at: string;
  /** `TANKWORLD_CRASH_FILE`: a file read at each hit, listing the points armed now. */
  file: string | undefined;
  /** `TANKWORLD_CRASH_AFTER`: how many hits of an armed point pass before one fires. */
  after: number;
}

/**
 * @example
 * ```ts
 * const crash = createCrashPoints(loadCrashConfig(process.env));
 * ```
 */
export function loadCrashConfig(env: NodeJS.ProcessEnv): CrashConfig {
  return {
    at: env.TANKWORLD_CRASH_AT ?? '',
    file: env.TANKWORLD_CRASH_FILE || undefined,
    after: Number(env.TANKWORLD_CRASH_AFTER ?? 0) || 0,
  };
}

export { FAST_PROFILE, type FleetTiming, fleetTiming } from './config-fleet.ts';
export { limitsConfigOf } from './config-limits.ts';
