/**
 * @module
 * Readiness probes: each asks the real service a real question and resolves `true` only when
 * it answers correctly. They never throw for "not up yet"; `waitFor` polls them. Each takes an
 * optional identity (data dir, pid, node name, config dir) so a starter can tell its own server
 * from another one that holds the same port on a busy host.
 */
import { connect } from 'node:net';
import postgres from 'postgres';

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether PostgreSQL at `url` answers `SELECT 1` (and, with `dataDir`, serves that data dir).
 *
 * @example
 * ```ts
 * await waitFor(() => postgresAnswers(url), { what: 'postgres' });
 * ```
 */
export async function postgresAnswers(url: string, { dataDir }: { dataDir?: string } = {}): Promise<boolean> {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: PROBE_TIMEOUT_MS / 1000,
    onnotice: () => {},
    connection: { application_name: 'tankworld-probe' },
  });
  try {
    const [row] = await sql`select current_setting('data_directory') as dir`;
    return dataDir === undefined ? row !== undefined : row?.dir === dataDir;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 0 });
  }
}

/** Sends one inline command and resolves with the first complete reply (or `undefined`). */
function redisCommand(host: string, port: number, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (value: string | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (bulk) {
        const end = bulk[0].length + Number(bulk[1]);
        if (reply.length >= end) done(reply.slice(bulk[0].length, end));
      } else if (reply.includes('\r\n')) {
        done(reply.slice(0, reply.indexOf('\r\n')));
      }
    });
  });
}

/**
 * Whether Redis at `host:port` answers (not `-LOADING` or an auth error), and, with `pid`,
 * whether it is that process.
 *
 * @example
 * ```ts
 * await redisAnswers({ host: '127.0.0.1', port: 6379 }); // true
 * ```
 */
export async function redisAnswers({
  host = '127.0.0.1',
  port,
  pid,
}: {
  host?: string;
  port: number;
  pid?: number;
}): Promise<boolean> {
  if (pid === undefined) return (await redisCommand(host, port, 'PING')) === '+PONG';
  const info = await redisCommand(host, port, 'INFO server');
  return info !== undefined && new RegExp(`^process_id:${pid}\\r?$`, 'm').test(info);
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const res = await fetch(url, {
    headers: token ? { 'x-consul-token': token } : {},
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  return res.ok ? res.json() : undefined;
}

/**
 * Whether the Consul agent at `httpAddr` (host:port) knows its cluster leader, and, with
 * `nodeName`, whether it is the agent of that node (asked with `token` when ACLs are on:
 * `/v1/agent/self` needs `agent:read`).
 *
 * @example
 * ```ts
 * await consulHasLeader('127.0.0.1:8500'); // true once a leader is elected
 * ```
 */
export async function consulHasLeader(
  httpAddr: string,
  { nodeName, token }: { nodeName?: string; token?: string } = {},
): Promise<boolean> {
  try {
    if (nodeName !== undefined) {
      const self = (await getJson(`http://${httpAddr}/v1/agent/self`, token)) as {
        Config?: { NodeName?: string };
      };
      if (self?.Config?.NodeName !== nodeName) return false;
    }
    const leader = await getJson(`http://${httpAddr}/v1/status/leader`);
    return typeof leader === 'string' && leader.length > 0;
  } catch {
    return false;
  }
}

/**
 * Whether the Envoy admin API at `adminUrl` reports `LIVE` on `/ready` (initialised, with the
 * configuration Consul pushed), and, with `configDir`, whether that Envoy's bootstrap lives
 * there.
 *
 * @example
 * ```ts
 * await envoyIsLive('http://127.0.0.1:19000'); // true
 * ```
 */
export async function envoyIsLive(
  adminUrl: string,
  { configDir }: { configDir?: string } = {},
): Promise<boolean> {
  try {
    if (configDir !== undefined) {
      const info = (await getJson(`${adminUrl}/server_info`)) as {
        command_line_options?: { config_path?: string };
      };
      if (!info?.command_line_options?.config_path?.startsWith(`${configDir}/`)) return false;
    }
    const res = await fetch(`${adminUrl}/ready`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return res.ok && (await res.text()).trim() === 'LIVE';
  } catch {
    return false;
  }
}
