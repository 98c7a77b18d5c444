/**
 * @module
 * The processes of the transfer soak: three `tankworld server` processes and one `tankworld
 * gateway` on a caller's PostgreSQL and Consul (DISCOVERY=consul, so every process sees the
 * others), with short heartbeats and failover off so a killed server's tanks wait for it, plus
 * calls to them with a user token. Used by `bench/transfer-soak.ts` and
 * `test/transfers/soak.test.ts` through {@link runSoak}.
 */
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
}: {
  databaseUrl: string;
  consulAddr: string;
  serverIds?: string[];
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
  const identifies = (url: string, key: string, id: string) => async () =>
    ((await (await fetch(`${url}/health`)).json()) as Record<string, unknown>)[key] === id;
  const programs: ProgramHandle[] = [];
  const stop = async () => {
    for (const p of [...programs].reverse()) await p.stop().catch(() => undefined);
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
        env: { ...env, FAILOVER_GRACE_MS: '0' },
        ready: async () => (await fetch(`${gatewayUrl}/health`)).ok,
        startTimeout: 60_000,
      }),
    );
    for (const [id, url] of serverUrls) {
      programs.push(
        await startProgram({
          name: `soak-${id}`,
          command: process.execPath,
          args: [CLI, 'server', '--port', new URL(url).port, '--server-id', id],
          cwd: PROJECT_ROOT,
          env: { ...env, SNAPSHOT_INTERVAL_MS: '1000' },
          ready: identifies(url, 'server_id', id),
          startTimeout: 60_000,
        }),
      );
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
