/**
 * @module
 * A transfer coordinator as its own process, for the fault tests: the coordinator, its
 * participant client and its recovery loop (exactly what the gateway mounts), behind a tiny
 * HTTP front (`POST /transfer`, `GET /health`), with the crash points of `TANKWORLD_CRASH_AT`
 * / `TANKWORLD_CRASH_FILE` armed. Env: DATABASE_URL, INTERNAL_SECRET, PORT, SERVERS (JSON
 * server id → base URL).
 */
import { createServer } from 'node:http';
import { crashPointsFromEnv } from '../../src/fault/index.ts';
import { createServerClient } from '../../src/gateway/server-client.ts';
import { createCoordinator, createParticipants, createRecovery } from '../../src/gateway/transfers/index.ts';
import { toProblem } from '../../src/http/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';

const env = process.env;
const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn' });
const store = createStore({ databaseUrl: env.DATABASE_URL, logger });
await store.migrate();
const servers = JSON.parse(env.SERVERS ?? '{}') as Record<string, string>;
const client = createServerClient({
  secret: env.INTERNAL_SECRET as string,
  resolveServer: (id) => (servers[id] ? { baseUrl: servers[id] } : undefined),
  timeoutMs: 2000,
});
const participants = createParticipants({ client, timeoutMs: 2000 });
const coordinator = createCoordinator({
  db: store.db,
  participants,
  realtime: await createRealtime({}),
  logger,
  crash: crashPointsFromEnv({ env }),
  commitAttempts: 2,
});
const recovery = createRecovery({ db: store.db, coordinator, logger, intervalMs: 300, idleMs: 1000 });
recovery.start();

createServer((req, res) => {
  if (req.url === '/health') {
    res.end(JSON.stringify({ ok: true, pid: process.pid }));
    return;
  }
  let text = '';
  req.on('data', (chunk) => {
    text += chunk;
  });
  req.on('end', () => {
    const body = JSON.parse(text);
    coordinator
      .submit(body)
      .then(
        (answer) => answer,
        (err) => ({ status: toProblem(err).status, body: toProblem(err) }),
      )
      .then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
  });
}).listen(Number(env.PORT), '127.0.0.1');
