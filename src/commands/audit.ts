/**
 * @module
 * `tankworld audit`: checks that every fish uid across the network is in exactly one tank or
 * one open transfer reservation. It asks every online server in the `servers` table for its
 * fish (a signed internal call) and reads the reservations from the database; prints the
 * report as JSON and exits 1 when a uid is found twice or a server could not be asked.
 */
import path from 'node:path';
import { loadCommonConfig } from '../config.ts';
import { createParticipants } from '../coordinator/index.ts';
import { runAudit } from '../gateway/index.ts';
import { createServerClient } from '../server-client/index.ts';
import { createStore, listServers } from '../store/index.ts';
import { createLogger } from '../telemetry/index.ts';
import { loadSecrets } from './secrets.ts';

export async function runAuditCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadCommonConfig(argv, env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'audit' } });
  const secrets = await loadSecrets(config);
  const store = createStore({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.dataDir, 'pglite'),
    logger,
  });
  try {
    const servers = (await listServers(store.db)).filter((s) => s.status !== 'offline');
    const urls = new Map(servers.map((s) => [s.serverId, s.publicUrl ?? `http://${s.host}:${s.port}`]));
    const client = createServerClient({
      secret: secrets.internalSecret,
      resolveServer: (id) => (urls.has(id) ? { baseUrl: urls.get(id) as string } : undefined),
    });
    const report = await runAudit({
      db: store.db,
      participants: createParticipants({ client }),
      serverIds: [...urls.keys()],
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!report.ok) process.exitCode = 1;
  } finally {
    await store.close();
  }
}
