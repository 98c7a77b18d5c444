/**
 * @module
 * `tankworld mesh up [--servers 3] [--gateway true|false]`: the whole mesh on this machine
 * without Docker (Consul with its UI and default-deny ACLs, PostgreSQL, Redis, migrations, config
 * entries, the gateway and N tank servers, each app with its own Envoy sidecar and Consul token);
 * it prints the run's operator token; Ctrl-C stops all of it.
 * `tankworld mesh entries --servers a,b,c [--out dir]`: the config entries for those servers, as
 * the JSON files `consul/config-entries/` holds for compose.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mintToken } from '../auth/index.ts';
import { ConfigError, loadCommonConfig } from '../config.ts';
import {
  configEntryFileName,
  MeshService,
  meshConfigEntries,
  type NativeMesh,
  resolveBinaries,
  startNativeMesh,
} from '../mesh/index.ts';
import { createLogger } from '../telemetry/index.ts';
import { onShutdown } from './shutdown.ts';

const USAGE = `usage: tankworld mesh up [--servers N] [--gateway true|false] [--observability true|false]
       tankworld mesh entries --servers id,id,… [--out dir]`;

export async function runMesh(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'up') return meshUp(rest, env);
  if (sub === 'entries') return meshEntries(rest);
  throw new ConfigError(USAGE);
}

function flags(argv: string[], names: string[]): Record<string, string | undefined> {
  try {
    const options = Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
    return parseArgs({ args: argv, options, strict: true }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
}

function serverIdsFrom(value: string | undefined): string[] {
  if (value === undefined) return ['server-1', 'server-2', 'server-3'];
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1 || n > 32) throw new ConfigError('--servers: between 1 and 32 on one machine');
    return Array.from({ length: n }, (_, i) => `server-${i + 1}`);
  }
  const ids = value.split(',').map((s) => s.trim());
  if (ids.some((id) => !/^[a-z0-9][a-z0-9-]{0,60}$/.test(id)))
    throw new ConfigError(
      '--servers: a count, or server ids (lower-case letters, digits, dashes) separated by commas',
    );
  return ids;
}

async function meshEntries(argv: string[]): Promise<void> {
  const { servers, out } = flags(argv, ['servers', 'out']);
  const entries = meshConfigEntries({ serverIds: serverIdsFrom(servers) });
  if (!out) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  await mkdir(out, { recursive: true });
  // Stale files of a larger set would otherwise be applied too.
  for (const name of await readdir(out)) if (name.endsWith('.json')) await rm(path.join(out, name));
  for (const [i, entry] of entries.entries()) {
    await writeFile(path.join(out, configEntryFileName(entry, i)), `${JSON.stringify(entry, null, 2)}\n`);
  }
}

async function meshUp(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { servers, gateway, observability } = flags(argv, ['servers', 'gateway', 'observability']);
  for (const [name, value] of Object.entries({ gateway, observability }))
    if (value !== undefined && value !== 'true' && value !== 'false')
      throw new ConfigError(`--${name}: true or false`);
  // Secrets and URLs as every command reads them (so `JWT_SECRET_FILE` & co. work here too).
  const config = loadCommonConfig([], env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'mesh' } });
  const jwtSecret = config.jwtSecret ?? randomBytes(24).toString('hex');
  let mesh: NativeMesh | undefined;
  let stopped = false;
  onShutdown(logger, async () => {
    stopped = true;
    await mesh?.stop();
  });
  const bins = resolveBinaries({ env });
  const started = await startNativeMesh({
    serverIds: serverIdsFrom(servers),
    gateway: gateway !== 'false',
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    jwtSecret,
    internalSecret: config.internalSecret ?? randomBytes(24).toString('hex'),
    env: { LOG_LEVEL: env.APP_LOG_LEVEL ?? 'warn' },
    binaries: bins,
    // Prometheus and Zipkin (`--observability false`: neither, for a quicker start).
    observability:
      observability === 'false' ? {} : { prometheusBin: bins.prometheus, zipkinJar: bins.zipkinJar },
    log: logger,
  });
  mesh = started;
  if (stopped) {
    await started.stop();
    return;
  }
  process.stdout.write(await summary(started, jwtSecret));
}

async function summary(mesh: NativeMesh, jwtSecret: string): Promise<string> {
  const res = await fetch(`${mesh.consul.url}/v1/health/service/${MeshService.tankServer}`, {
    headers: mesh.operatorToken ? { 'x-consul-token': mesh.operatorToken } : {},
  });
  const entries = (await res.json()) as Array<{ Service: { ID: string; Meta?: Record<string, string> } }>;
  const wsOf = (id: string) => entries.find((e) => e.Service.ID === id)?.Service.Meta?.ws_url ?? '?';
  const token = await mintToken({ secret: jwtSecret, userId: 'dev', ttlSeconds: 86_400 });
  const lines = [
    'Tank World Net mesh is up (native: no Docker; every app behind its own Envoy sidecar)',
    ...(mesh.gateway
      ? [
          `  gateway      ${mesh.gateway.url}   (to servers via its sidecar's upstream :${mesh.gateway.upstreamPort}, admin ${mesh.gateway.sidecar.adminUrl})`,
        ]
      : []),
    `  consul ui    ${mesh.consul.url}/ui/`,
    ...(mesh.prometheus
      ? [
          `  prometheus   ${mesh.prometheus.url}/classic/targets   (alerts ${mesh.prometheus.url}/classic/alerts)`,
        ]
      : []),
    ...(mesh.zipkin ? [`  zipkin ui    ${mesh.zipkin.url}/zipkin/`] : []),
    ...(mesh.operatorToken
      ? [
          `  consul token ${mesh.operatorToken}`,
          `  (ACLs on, default deny: the operator token logs in to the UI and writes intentions; also in ${mesh.operatorTokenFile})`,
        ]
      : []),
    ...mesh.servers.map(
      (s) =>
        `  ${s.id.padEnd(12)} ${wsOf(s.id)}   (sidecar mTLS :${s.sidecarPort}, admin ${s.sidecar.adminUrl})`,
    ),
    `  database     ${mesh.databaseUrl}`,
    `  redis        ${mesh.redisUrl}`,
    `  dev token    ${token}`,
    '  (user "dev", 24 h: curl -H "Authorization: Bearer <token>" …)',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
