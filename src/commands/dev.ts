/**
 * @module
 * `tankworld dev` (`npm start`): the embedded default — two tank servers (and the gateway) in
 * one process on an embedded PGlite store under ./data, with in-process discovery and
 * real-time state. Creates a default tank on first start and prints what a user needs: URLs,
 * a dev token and ready-to-paste curl lines.
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../auth/index.ts';
import { loadServerConfig } from '../config.ts';
import { createLocalRegistry } from '../discovery/index.ts';
import { createTankServer, type TankServer } from '../server/index.ts';
import { createLogger, startTracing } from '../telemetry/index.ts';
import { createAdapters } from './adapters.ts';
import { onShutdown } from './shutdown.ts';

const DEV_USER = 'alice';

export async function runDev(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, tokens } = parseArgs({
    args: argv,
    options: { servers: { type: 'string' } },
    strict: false,
    tokens: true,
  });
  const serverCount = values.servers === undefined ? 2 : Number(values.servers);
  const rest = (tokens ?? [])
    .filter((t) => t.kind === 'option' && t.name !== 'servers')
    .flatMap((t) => (t.kind === 'option' ? [`--${t.name}`, ...(t.value ? [t.value] : [])] : []));
  const config = loadServerConfig(rest, {
    ...env,
    DISCOVERY: 'local',
    HEARTBEAT_MS: env.HEARTBEAT_MS ?? '2000',
  });
  const logger = createLogger({ level: config.logLevel, base: { service: 'tankworld-dev' } });
  const tracing = await startTracing({ serviceName: 'tankworld-dev', otlpEndpoint: config.otlpEndpoint });
  const localRegistry = createLocalRegistry();
  const adapters = await createAdapters({ config: { ...config, discovery: 'local' }, logger, localRegistry });
  await adapters.store.migrate();

  const basePort = config.port === 8001 ? 8001 : config.port;
  const servers: TankServer[] = [];
  for (let i = 0; i < serverCount; i++) {
    servers.push(
      createTankServer({
        serverId: `server-${i + 1}`,
        listenHost: config.host,
        port: basePort === 0 ? 0 : basePort + i,
        region: config.region,
        zone: config.zone,
        db: adapters.store.db,
        discovery: adapters.discovery({ ttl: config.checkTtl, deregisterAfter: config.deregisterAfter }),
        realtime: adapters.realtime,
        verifier: adapters.verifier,
        internalVerifier: adapters.internalVerifier,
        logger,
        tickHz: config.tickHz,
        broadcastHz: config.broadcastHz,
        snapshotIntervalMs: config.snapshotIntervalMs,
        heartbeatMs: config.heartbeatMs,
        processMetrics: i === 0,
      }),
    );
  }
  onShutdown(logger, async () => {
    for (const server of [...servers].reverse()) await server.stop();
    await adapters.close();
    await tracing.shutdown();
  });
  await Promise.all(servers.map((s) => s.start()));

  const token = await mintToken({
    secret: adapters.secrets.jwtSecret,
    userId: DEV_USER,
    ttlSeconds: 7 * 86_400,
  });
  const first = servers[0]!;
  let tankId = first.host.list()[0]?.id ?? servers.flatMap((s) => s.host.list())[0]?.id;
  if (!tankId) {
    const res = await first.fetch(
      new Request(`${first.url}/api/tanks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Tank 1', description: 'The default tank', seed: 42 }),
      }),
    );
    tankId = ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
  }
  printWelcome({ servers, token, tankId });
}

function printWelcome({
  servers,
  token,
  tankId,
}: {
  servers: TankServer[];
  token: string;
  tankId: string;
}): void {
  const s = servers.find((x) => x.host.get(tankId)) ?? servers[0]!;
  const lines = [
    '',
    'Tank World Net is running (embedded: PGlite store in ./data, in-process discovery).',
    '',
    ...servers.map((x) => `  tank server ${x.serverId}: ${x.url}`),
    `  default tank: ${tankId} on ${s.serverId}`,
    '',
    `  dev token (user ${DEV_USER}, 7 days):`,
    `    export TOKEN=${token}`,
    '',
    '  try:',
    `    curl -s ${s.url}/api/tanks -H "Authorization: Bearer $TOKEN"`,
    `    curl -s ${s.url}/api/tanks/${tankId}/stats -H "Authorization: Bearer $TOKEN"`,
    `    curl -s -X POST ${s.url}/api/tanks/${tankId}/food -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"count":5}'`,
    `    watch it live (JSON frames): npx wscat -c "${s.wsUrl}/ws/${tankId}?format=json&token=$TOKEN"`,
    '',
    '  Ctrl-C stops everything (final snapshots are written first).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
