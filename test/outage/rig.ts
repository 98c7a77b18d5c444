/**
 * @module
 * The outage tests' network: real `tankworld gateway` and `tankworld server` processes on a
 * Consul agent, a PostgreSQL database and a Redis the test may kill, plus the clients a user
 * has (REST calls, a WebSocket viewer, a Server-Sent Events stream) and a look at each
 * process's structured log.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { mintToken } from '../../src/auth/index.ts';
import { PROJECT_ROOT } from '../../src/mesh/index.ts';
import { openViewer, type TestViewer } from '../server/viewer.ts';
import {
  type Cleanup,
  distributedEnv,
  type EventStream,
  freePort,
  openEventStream,
  type ProgramHandle,
  startTankworld,
  waitFor,
} from '../support/index.ts';

export const SECRET = 'outage-tests-secret-0123456789abc';

export interface Lookup {
  tank: { tank_id: string; server_id: string };
  server: { server_id: string; port: number };
  websocket_url: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface RigOptions {
  cleanup: Cleanup;
  consul: { httpAddr: string };
  database: { url: string };
  redis: { url: string };
  /** Added to every process's environment. */
  env?: Record<string, string>;
}

export interface Rig {
  env: Record<string, string>;
  startGateway(id: string): Promise<{ proc: ProgramHandle; port: number }>;
  startServer(id: string): Promise<{ proc: ProgramHandle; port: number }>;
  /** One request as `alice`; never throws on a status, and gives up (rejects) after 15 s. */
  call(port: number, method: string, route: string, body?: unknown): Promise<Answer>;
  /** `call` as another user. */
  callAs(userId: string, port: number, method: string, route: string): Promise<Answer>;
  /** As `call`, but the status must be `status`. */
  expectCall<T>(port: number, method: string, route: string, status: number, body?: unknown): Promise<T>;
  /** `POST /gateway/transfer` as `alice` under `idempotencyKey`. */
  transfer(port: number, body: TransferBody, idempotencyKey: string): Promise<Answer>;
  viewer(lookup: Lookup): Promise<TestViewer>;
  events(port: number): Promise<EventStream>;
  /** The fish uids a tank shows now. */
  fishUids(port: number, tankId: string): Promise<string[]>;
  /** `tankworld audit` against the database; its report. */
  audit(): Promise<{ ok: boolean; duplicated: unknown[]; unreachable: unknown[]; fish: number }>;
}

export interface TransferBody {
  source_tank_id: string;
  dest_tank_id: string;
  entity_id: number;
}

/**
 * @example
 * ```ts
 * const rig = createRig({ cleanup, consul, database, redis });
 * const { port } = await rig.startGateway('gw-1');
 * ```
 */
export function createRig({ cleanup, consul, database, redis, env: extra = {} }: RigOptions): Rig {
  const env = {
    ...distributedEnv({ consul, database, redis, secret: SECRET }),
    CHECK_TTL: '3s',
    // Outages of Redis and PostgreSQL move no tank: failover is not what these tests are about.
    FAILOVER_GRACE_MS: '600000',
    SNAPSHOT_INTERVAL_MS: '500',
    LOG_LEVEL: 'info',
    ...extra,
  };
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (userId: string) => {
    if (!tokens.has(userId)) tokens.set(userId, mintToken({ secret: SECRET, userId }));
    return tokens.get(userId)!;
  };
  const token = tokenOf('alice');

  async function start(role: 'gateway' | 'server', id: string) {
    const port = await freePort();
    const proc = await startTankworld({ role, id, port, env, cleanup, startTimeout: 60_000 });
    return { proc, port };
  }

  async function call(
    port: number,
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
    userId = 'alice',
  ): Promise<Answer> {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${await tokenOf(userId)}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  }

  async function expectCall<T>(port: number, method: string, route: string, status: number, body?: unknown) {
    const answer = await call(port, method, route, body);
    if (answer.status !== status)
      throw new Error(
        `${method} ${route}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    return answer.body as T;
  }

  return {
    env,
    startGateway: (id) => start('gateway', id),
    startServer: (id) => start('server', id),
    call,
    callAs: (userId, port, method, route) => call(port, method, route, undefined, {}, userId),
    expectCall,
    transfer: (port, body, idempotencyKey) =>
      call(port, 'POST', '/gateway/transfer', body, { 'idempotency-key': idempotencyKey }),
    async viewer(lookup) {
      const viewer = openViewer(`${lookup.websocket_url}?token=${await token}`);
      cleanup.add(() => viewer.ws.terminate());
      await waitFor(() => viewer.frames.length >= 2, { what: 'frames to the viewer', timeout: 20_000 });
      return viewer;
    },
    async events(port) {
      return openEvents(port, await token, cleanup);
    },
    async fishUids(port, tankId) {
      const { entities } = await expectCall<{ entities: Array<{ uid: string }> }>(
        port,
        'GET',
        `/api/tanks/${tankId}/entities?kind=fish`,
        200,
      );
      return entities.map((e) => e.uid).sort();
    },
    async audit() {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(PROJECT_ROOT, 'src/cli.ts'), 'audit'],
        { cwd: PROJECT_ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'warn' } },
      );
      return JSON.parse(stdout);
    },
  };
}

/** `GET /api/events`, parsed as it arrives; resolves once the stream says it is connected. */
function openEvents(port: number, token: string, cleanup: Cleanup): Promise<EventStream> {
  const url = `http://127.0.0.1:${port}/api/events`;
  return openEventStream({ url, headers: { authorization: `Bearer ${token}` }, cleanup });
}

/** Every JSON line a process logged so far. */
export async function logRecords(proc: ProgramHandle): Promise<Array<Record<string, unknown>>> {
  const lines = (await readFile(proc.logFile, 'utf8')).split('\n');
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Prints the last lines of each process's log: a failed outage test is read from them.
 *
 * @example
 * ```ts
 * onTestFailed(() => dumpLogs([gateway.proc, server.proc]));
 * ```
 */
export async function dumpLogs(procs: ProgramHandle[], lines = 400): Promise<void> {
  for (const proc of procs) {
    const text = await readFile(proc.logFile, 'utf8').catch(() => '');
    console.error(
      `--- ${proc.name} (${proc.running ? 'running' : 'exited'})\n${text.split('\n').slice(-lines).join('\n')}`,
    );
  }
}

/**
 * Lines that say a process crashed or nearly did: anything it wrote outside its structured log
 * (a stack trace of an uncaught error or an unhandled rejection goes to stderr raw) and any
 * `fatal` record.
 */
export async function crashLines(proc: ProgramHandle): Promise<string[]> {
  const text = await readFile(proc.logFile, 'utf8');
  return text.split('\n').filter((line) => {
    if (line.startsWith('===') || line.trim() === '') return false;
    if (!line.startsWith('{')) return true;
    return (JSON.parse(line) as { level?: unknown }).level === 'fatal';
  });
}
