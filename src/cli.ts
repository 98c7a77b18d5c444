/**
 * @module
 * `tankworld <command>`: dev | server | gateway | migrate | token | audit | drain | export | import |
 * backup | restore | mesh. Each command validates its
 * configuration once (flags over environment) and chooses its adapters in src/commands.
 */
import { ConfigError } from './config.ts';

const USAGE = `usage: tankworld <command> [flags]

  dev       the embedded default: tank servers (and the gateway) in one process (npm start)
  server    one tank server   (--port --server-id --region --zone --discovery consul|local --consul-addr …)
  gateway   the gateway      (--port 8080 --gateway-id --discovery consul|local --consul-addr …)
  migrate   apply SQL migrations to DATABASE_URL (or the embedded store)
  token     mint a dev JWT    (--user alice [--ttl seconds] [--operator])
  audit     every fish uid in exactly one tank or open transfer reservation (exit 1 if not)
  drain     <server-id> [--gateway URL]: move every tank off one server, live (operator token)
  export    <tank-id> [file]: a tank's archive from the gateway (--gateway URL --token T)
  import    <file> [--onto auto|same|new]: an archive back as a tank (its id when free)
  backup    <folder|s3://bucket/prefix> [--every 1h] [--keep 7]: every tank's archive (operator token)
  restore   <folder|s3://bucket/prefix> [--at <backup>]: each tank onto its id when free
  mesh      up [--servers 3]: the native mesh with Envoy sidecars (npm run mesh); entries --servers a,b

Every flag can also be set by environment (PORT, SERVER_ID, DATABASE_URL, REDIS_URL,
CONSUL_HTTP_ADDR, DISTRIBUTED_MODE, JWT_SECRET, INTERNAL_SECRET, …); see README.md.
`;

const COMMANDS: Record<string, () => Promise<(argv: string[], env: NodeJS.ProcessEnv) => Promise<void>>> = {
  dev: async () => (await import('./commands/dev.ts')).runDev,
  server: async () => (await import('./commands/server.ts')).runServer,
  gateway: async () => (await import('./commands/gateway.ts')).runGateway,
  migrate: async () => (await import('./commands/migrate.ts')).runMigrate,
  token: async () => (await import('./commands/token.ts')).runToken,
  audit: async () => (await import('./commands/audit.ts')).runAuditCommand,
  drain: async () => (await import('./commands/drain.ts')).runDrain,
  export: async () => (await import('./commands/export.ts')).runExport,
  import: async () => (await import('./commands/export.ts')).runImport,
  backup: async () => (await import('./commands/backup.ts')).runBackup,
  restore: async () => (await import('./commands/restore.ts')).runRestore,
  mesh: async () => (await import('./commands/mesh.ts')).runMesh,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const load = name ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(USAGE);
    process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 2);
  }
  const run = await load();
  await run(rest, process.env);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A refusal from the gateway (its problem code and detail) needs no stack.
  if (err instanceof ConfigError || (err as Error)?.name === 'GatewayRefusal') {
    process.stderr.write(`tankworld: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const busy = portInUse(err);
  if (busy) {
    process.stderr.write(`tankworld: ${busy}\n`);
    process.exit(1);
  }
  process.stderr.write(`tankworld: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

/** A listen refused because the port is taken: what to do about it, not a stack. */
function portInUse(err: unknown): string | undefined {
  const e = err as { code?: unknown; address?: unknown; port?: unknown };
  if (e?.code !== 'EADDRINUSE') return undefined;
  return (
    `${String(e.address)}:${String(e.port)} is already in use (another tankworld still running?). ` +
    'Stop what listens there, or choose other ports: --port / PORT for tank servers, ' +
    '--gateway-port / GATEWAY_PORT for the gateway of `npm start`.'
  );
}
