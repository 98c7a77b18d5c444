/**
 * @module
 * Readiness probes: each asks the real service a real question and resolves `true` only when
 * it answers correctly. They never throw for "not up yet"; `waitFor` polls them.
 */
import { connect } from 'node:net';
import postgres from 'postgres';

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether PostgreSQL at `url` answers `SELECT 1`.
 *
 * @example
 * ```ts
 * await waitFor(() => postgresAnswers(url), { what: 'postgres' });
 * ```
 */
export async function postgresAnswers(url: string): Promise<boolean> {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: PROBE_TIMEOUT_MS / 1000,
    onnotice: () => {},
    connection: { application_name: 'tankworld-probe' },
  });
  try {
    const [row] = await sql`select 1 as ok`;
    return row?.ok === 1;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 0 });
  }
}

/**
 * Whether Redis at `host:port` answers PING with PONG (not `-LOADING` or an auth error).
 *
 * @example
 * ```ts
 * await redisAnswers({ host: '127.0.0.1', port: 6379 }); // true
 * ```
 */
export function redisAnswers({
  host = '127.0.0.1',
  port,
}: {
  host?: string;
  port: number;
}): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Whether the Consul agent at `httpAddr` (host:port) knows its cluster leader.
 *
 * @example
 * ```ts
 * await consulHasLeader('127.0.0.1:8500'); // true once a leader is elected
 * ```
 */
export async function consulHasLeader(httpAddr: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${httpAddr}/v1/status/leader`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    if (!res.ok) return false;
    const leader: unknown = await res.json();
    return typeof leader === 'string' && leader.length > 0;
  } catch {
    return false;
  }
}

/**
 * Whether the Envoy admin API at `adminUrl` reports `LIVE` on `/ready` (initialised, with the
 * configuration Consul pushed).
 *
 * @example
 * ```ts
 * await envoyIsLive('http://127.0.0.1:19000'); // true
 * ```
 */
export async function envoyIsLive(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/ready`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return res.ok && (await res.text()).trim() === 'LIVE';
  } catch {
    return false;
  }
}
