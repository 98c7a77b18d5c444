/**
 * @module
 * The processes of the transfer soak: three `tankworld server` processes and one `tankworld
 * gateway` on a caller's PostgreSQL and Consul (DISCOVERY=consul, so every process sees the
 * others), with short heartbeats, plus calls to them with a user token. Failover is off unless
 * `failoverGraceMs` is given (then the gateway restores a killed server's tanks elsewhere). Each
 * server reads its own crash file (`TANKWORLD_CRASH_FILE`), so a soak can arm a 2PC step at which
 * that server SIGKILLs itself. Used by `bench/transfer-soak.ts` and `test/transfers/soak.test.ts`
 * through {@link runSoak}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { freePorts, PROJECT_ROOT, type ProgramHandle, startProgram } from '../../src/mesh/index.ts';
import { UNLIMITED_ENV } from './limits.ts';

const CLI = path.join(PROJECT_ROOT, 'src/cli.ts');
/** The rig's token secret: a caller mints tokens for more users with it. */
export const SOAK_SECRET = 'transfer-soak-secret-0123456789';
const SECRET = SOAK_SECRET;

export interface SoakRig {
  gatewayUrl: string;
  /** Server id → base URL. */
  serverUrls: Map<string, string>;
  /** The gateway first, then the servers. */
  programs: ProgramHandle[];
  /** Server id → its process (the same handles as in `programs`). */
  servers: Map<string, ProgramHandle>;
  /** The user's token (also for `?token=` on a WebSocket URL). */
  token: string;
  /** Arms crash points (comma separated; '' disarms) on one server, read at each hit. */
  arm(serverId: string, points: string): void;
  /** A JSON call with the user's token; resolves with status and parsed body (no throw on 4xx/5xx). */
  call(
    url: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: unknown;
  }>;
  stop(): Promise<void>;
}

export async function startSoakRig({
  databaseUrl,
  consulAddr,
  serverIds = ['soak-1', 'soak-2', 'soak-3'],
  failoverGraceMs = 0,
  env: overrides = {},
}: {
  databaseUrl: string;
  consulAddr: string;
  serverIds?: string[];
  /**
   * The gateway's FAILOVER_GRACE_MS; 0 (default) never fails over; `derived` leaves it to the
   * config (the lease margin plus one failover round, the shortest safe grace).
   */
  failoverGraceMs?: number | 'derived';
  /** Set last on every process; `undefined` removes a variable (the config's default then holds). */
  env?: Record<string, string | undefined>;
}): Promise<SoakRig> {
  const [gatewayPort, ...ports] = await freePorts(1 + serverIds.length);
  const env = {
    DISCOVERY: 'consul',
    CONSUL_HTTP_ADDR: consulAddr,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    INTERNAL_SECRET: SECRET,
    HEARTBEAT_MS: '300',
    CHECK_TTL: '2s',
    LOG_LEVEL: 'warn',
    // One user moves a thousand fish in seconds: far past a person's allowance.
    ...UNLIMITED_ENV,
  };
  const withOverrides = (base: Record<string, string>): Record<string, string> =>
    Object.fromEntries(
      Object.entries({ ...base, ...overrides }).filter((e): e is [string, string] => e[1] !== undefined),
    );
  const identifies = (url: string, key: string, id: string) => async () =>
    ((await (await fetch(`${url}/health`)).json()) as Record<string, unknown>)[key] === id;
  const programs: ProgramHandle[] = [];
  const servers = new Map<string, ProgramHandle>();
  const crashDir = mkdtempSync(path.join(os.tmpdir(), 'tankworld-soak-crash-'));
  const crashFile = (id: string) => path.join(crashDir, `${id}.points`);
  const arm = (id: string, points: string) => writeFileSync(crashFile(id), points);
  for (const id of serverIds) arm(id, '');
  const stop = async () => {
    for (const p of [...programs].reverse()) await p.stop().catch(() => undefined);
    rmSync(crashDir, { recursive: true, force: true });
  };
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const serverUrls = new Map(serverIds.map((id, i) => [id, `http://127.0.0.1:${ports[i]}`]));
  try {
    // The gateway migrates the schema first; the servers then start on it (no racing migrations).
    programs.push(
      await startProgram({
        name: 'soak-gateway',
        command: process.execPath,
        args: [CLI, 'gateway', '--port', String(gatewayPort), '--gateway-id', 'soak-gateway'],
        cwd: PROJECT_ROOT,
        // 0 = never fail over: a killed server's tanks wait for its restart, where the fish are.
        env: withOverrides({
          ...env,
          ...(failoverGraceMs !== 'derived' && { FAILOVER_GRACE_MS: String(failoverGraceMs) }),
        }),
        ready: async () => (await fetch(`${gatewayUrl}/health`)).ok,
        startTimeout: 60_000,
      }),
    );
    for (const [id, url] of serverUrls) {
      const program = await startProgram({
        name: `soak-${id}`,
        command: process.execPath,
        args: [CLI, 'server', '--port', new URL(url).port, '--server-id', id],
        cwd: PROJECT_ROOT,
        env: withOverrides({ ...env, SNAPSHOT_INTERVAL_MS: '1000', TANKWORLD_CRASH_FILE: crashFile(id) }),
        ready: identifies(url, 'server_id', id),
        startTimeout: 60_000,
      });
      programs.push(program);
      servers.set(id, program);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  // The soak's user is also its operator: it reads `/api/audit`, which needs the operator scope.
  const token = await mintToken({ secret: SECRET, userId: 'soak', scopes: [OPERATOR_SCOPE] });
  return {
    gatewayUrl,
    serverUrls,
    programs: [...programs],
    servers,
    token,
    arm,
    async call(url, { method = 'GET', body, headers = {} } = {}) {
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop,
  };
}
