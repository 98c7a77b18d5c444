/**
 * @module
 * A small network for the archive and backup tests: Consul, Redis, a database of the file's
 * own, a `tankworld gateway` and tank servers as processes, the caller's API calls, and the CLI
 * (`tankworld export | import | backup | restore | audit`) run as a process against them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { PROJECT_ROOT } from '../../src/mesh/index.ts';
import {
  type Cleanup,
  distributedEnv,
  freePorts,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  useDatabase,
} from '../support/index.ts';

const run = promisify(execFile);
export const SECRET = 'archive-network-secret-0123456789abc';
/** Tanks one user may own here: small, so a test can reach it. */
export const TANK_QUOTA = 3;

export interface Entities {
  frame: number;
  entities: Array<Record<string, unknown> & { kind: string; uid?: string }>;
}

export interface Network {
  gatewayUrl: string;
  servers: ProgramHandle[];
  sql: postgres.Sql;
  dbUrl: string;
  token(user: string, operator?: boolean): Promise<string>;
  /** An API call through the gateway expecting `status`; answers the parsed body. */
  call<T>(user: string, method: string, route: string, status: number, body?: unknown): Promise<T>;
  /** `tankworld <args>` as a process; never throws, answers its exit code and output. */
  cli(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The fish of a tank, sorted by uid. */
  fish(user: string, tankId: string): Promise<{ frame: number; fish: Entities['entities'] }>;
}

export async function startNetwork({
  cleanup,
  servers = 1,
}: {
  cleanup: Cleanup;
  servers?: number;
}): Promise<Network> {
  const [consul, redis, database] = await Promise.all([
    startConsul({ cleanup }),
    startRedis({ cleanup }),
    useDatabase({ cleanup }),
  ]);
  const sql = cleanup.add(postgres(database.url, { max: 1, onnotice: () => {} }));
  const [gatewayPort, ...serverPorts] = await freePorts(1 + servers);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const env = {
    ...distributedEnv({ consul, database, redis, secret: SECRET }),
    CHECK_TTL: '2s',
    TANK_QUOTA_PER_USER: String(TANK_QUOTA),
  };
  await startTankworld({ role: 'gateway', id: 'gw-archive', port: gatewayPort!, env, cleanup });
  const handles = await Promise.all(
    serverPorts.map((port, i) =>
      startTankworld({ role: 'server', id: `srv-archive-${i + 1}`, port: port!, env, cleanup }),
    ),
  );
  const token = (user: string, operator = false) =>
    mintToken({ secret: SECRET, userId: user, scopes: operator ? [OPERATOR_SCOPE] : undefined });
  async function call<T>(
    user: string,
    method: string,
    route: string,
    status: number,
    body?: unknown,
  ): Promise<T> {
    const res = await fetch(`${gatewayUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${method} ${route}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  return {
    gatewayUrl,
    servers: handles,
    sql,
    dbUrl: database.url,
    token,
    call,
    async cli(args, extra = {}) {
      try {
        const { stdout, stderr } = await run(
          process.execPath,
          [path.join(PROJECT_ROOT, 'src/cli.ts'), ...args],
          {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...env, GATEWAY_URL: gatewayUrl, ...extra },
            maxBuffer: 16 * 1024 * 1024,
          },
        );
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return {
          code: typeof e.code === 'number' ? e.code : 1,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? '',
        };
      }
    },
    async fish(user, tankId) {
      const { frame, entities } = await call<Entities>(user, 'GET', `/api/tanks/${tankId}/entities`, 200);
      const fish = entities
        .filter((e) => e.kind === 'fish')
        .sort((a, b) => String(a.uid).localeCompare(String(b.uid)));
      return { frame, fish };
    },
  };
}

/** A private tank of `owner`'s, paused with a snapshot taken, so what an archive holds is what it shows. */
export async function quietTank(net: Network, owner: string, name: string): Promise<string> {
  const created = await net.call<{ tank: { tank_id: string } }>(owner, 'POST', '/api/tanks', 201, {
    name,
    is_public: false,
    seed: 4242,
    initial_fish: 8,
  });
  const tankId = created.tank.tank_id;
  await net.call(owner, 'POST', `/api/tanks/${tankId}/pause`, 200);
  await net.call(owner, 'POST', `/api/tanks/${tankId}/snapshots`, 201);
  return tankId;
}
