/**
 * @module
 * `tankworld dev` (`npm start`): the embedded default — two tank servers (and the gateway) in
 * one process on an embedded PGlite store under ./data, with in-process discovery and
 * real-time state. Creates a default tank on first start and prints what a user needs: URLs,
 * a dev token and ready-to-paste curl lines.
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../auth/index.ts';
import { ConfigError, loadCrashConfig, loadServerConfig } from '../config.ts';
import { createLocalRegistry } from '../discovery/index.ts';
import { createCrashPoints } from '../fault/index.ts';
import { createGateway, type Gateway } from '../gateway/index.ts';
import { createTankServer, type TankServer } from '../server/index.ts';
import { createLogger, startTracing } from '../telemetry/index.ts';
import { createAdapters } from './adapters.ts';
import { gatewayOptionsFrom } from './gateway.ts';
import { mintingSecret } from './secrets.ts';
import { serverOptionsFrom } from './server.ts';
import { onShutdown } from './shutdown.ts';

const DEV_USER = 'alice';

export async function runDev(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, tokens } = parseArgs({
    args: argv,
    options: { servers: { type: 'string' }, 'gateway-port': { type: 'string' } },
    strict: false,
    tokens: true,
  });
  const serverCount = values.servers === undefined ? 2 : Number(values.servers);
  const gatewayPort = Number(values['gateway-port'] ?? env.GATEWAY_PORT ?? 8080);
  if (!Number.isInteger(serverCount) || serverCount < 1 || serverCount > 16) {
    throw new ConfigError('--servers: a whole number from 1 to 16');
  }
  if (!Number.isInteger(gatewayPort) || gatewayPort < 0 || gatewayPort > 65535) {
    throw new ConfigError('--gateway-port / GATEWAY_PORT: a port number');
  }
  // Every other flag is a tank server setting; `--port 9001` arrives as an option and a positional.
  const rest = (tokens ?? []).flatMap((t) => {
    if (t.kind === 'positional') return [t.value];
    if (t.kind !== 'option' || t.name === 'servers' || t.name === 'gateway-port') return [];
    return [t.inlineValue ? `--${t.name}=${t.value}` : `--${t.name}`];
  });
  // The fleet timing is the default profile's (docs/failover.md), or FLEET_PROFILE's.
  // The access log is at `debug` here unless asked for: in a terminal, the dashboard's polling
  // would bury the lines a user needs (ACCESS_LOG_LEVEL=info brings it back).
  const config = loadServerConfig(rest, { ACCESS_LOG_LEVEL: 'debug', ...env, DISCOVERY: 'local' });
  const logger = createLogger({ level: config.logLevel, base: { service: 'tankworld-dev' } });
  const tracing = await startTracing({
    serviceName: 'tankworld-dev',
    otlpEndpoint: config.otlpEndpoint,
    zipkinEndpoint: config.zipkinEndpoint,
  });
  const localRegistry = createLocalRegistry();
  const adapters = await createAdapters({ config: { ...config, discovery: 'local' }, logger, localRegistry });
  await adapters.store.migrate();

  const servers: TankServer[] = [];
  for (let i = 0; i < serverCount; i++) {
    servers.push(
      createTankServer({
        ...serverOptionsFrom({ config, adapters, logger }),
        serverId: `server-${i + 1}`,
        port: config.port === 0 ? 0 : config.port + i,
        processMetrics: i === 0,
      }),
    );
  }
  const gateway = createGateway({
    ...gatewayOptionsFrom({ config, adapters, logger, crash: createCrashPoints(loadCrashConfig(env)) }),
    gatewayId: 'gateway-1',
    port: gatewayPort,
  });
  onShutdown(logger, async () => {
    await gateway.stop();
    for (const server of [...servers].reverse()) await server.stop();
    await adapters.close();
    await tracing.shutdown();
  });
  await Promise.all(servers.map((s) => s.start()));
  await gateway.start();

  // The embedded default mints its own user's token (to create the first tank and to print it).
  const token = await mintToken({
    secret: mintingSecret(adapters.secrets),
    userId: DEV_USER,
    ttlSeconds: 7 * 86_400,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const listed = await gateway.fetch(new Request(`${gateway.url}/api/tanks?limit=1`, { headers }));
  let tankId = ((await listed.json()) as { tanks: Array<{ tank: { tank_id: string } }> }).tanks[0]?.tank
    .tank_id;
  if (!tankId) {
    const res = await gateway.fetch(
      new Request(`${gateway.url}/api/tanks`, {
        method: 'POST',
        headers,
        // Public, so a first visit watches it before signing in.
        body: JSON.stringify({ name: 'Tank 1', description: 'The default tank', seed: 42, is_public: true }),
      }),
    );
    if (res.status !== 201)
      throw new Error(`could not create the default tank: ${res.status} ${await res.text()}`);
    tankId = ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
  }
  printWelcome({ servers, gateway, token, tankId });
}

function printWelcome({
  servers,
  gateway,
  token,
  tankId,
}: {
  servers: TankServer[];
  gateway: Gateway;
  token: string;
  tankId: string;
}): void {
  const s = servers.find((x) => x.host.get(tankId)) ?? servers[0]!;
  const g = gateway.url;
  const auth = '-H "Authorization: Bearer $TOKEN"';
  const lines = [
    '',
    'Tank World Net is running (embedded: PGlite store in ./data, in-process discovery).',
    '',
    `  gateway:     ${g}   (dashboard in a browser; the API for curl)`,
    ...servers.map((x) => `  tank server: ${x.url}   (${x.serverId}, WebSocket ${x.wsUrl}/ws/<tank_id>)`),
    `  default tank: ${tankId} on ${s.serverId}`,
    '',
    // The token rides in the fragment, which browsers never send: the page trades it for the
    // session cookie and drops it from the address bar, so no server log ever holds it.
    `  sign in (user ${DEV_USER}, 7 days): ${g}/#token=${token}`,
    '  (public tanks can be watched without signing in)',
    '',
    '  dev token for curl:',
    `    export TOKEN=${token}`,
    '',
    '  try:',
    `    curl -s ${g}/gateway/tanks/${tankId} ${auth}`,
    `    curl -s ${g}/api/tanks ${auth}`,
    `    curl -s -X POST ${g}/api/tanks ${auth} -H 'content-type: application/json' -d '{"name":"My tank"}'`,
    `    curl -s ${g}/api/tanks/${tankId}/stats ${auth}`,
    `    curl -s ${g}/api/servers ${auth}`,
    `    watch it live (JSON frames, from the project folder):`,
    `      WS=${s.wsUrl}/ws/${tankId} node -e 'const ws = new (require("ws"))(\`\${process.env.WS}?format=json&token=\${process.env.TOKEN}\`); ws.on("message", (m) => console.log(String(m).slice(0, 200)))'`,
    '',
    '  Ctrl-C stops everything (final snapshots are written first).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
