/**
 * @module
 * The one seam to the Consul agent: our own types over the `consul` npm client, a deadline on
 * every call, and raw `fetch` for the one endpoint the client lacks (`check/update`). Errors
 * come out as `DiscoveryUnavailableError` or `InvalidRegistrationError`, with the client's
 * error as `cause`.
 */
import { EventEmitter } from 'node:events';
import Consul from 'consul';
import type { ServiceDefinition } from './codec.ts';
import type { ConnectServiceDefinition } from './connect.ts';
import { DiscoveryError, DiscoveryUnavailableError, InvalidRegistrationError } from './errors.ts';
import type { CheckStatus } from './types.ts';

export interface ConsulClientOptions {
  /** `127.0.0.1:8500`, `http://consul:8500` or `https://…`; the form of `CONSUL_HTTP_ADDR`. */
  consulAddr: string;
  /** ACL token, sent as `X-Consul-Token`. */
  token?: string;
  /** Deadline of every non-blocking call. */
  timeoutMs: number;
}

/** One element of `GET /v1/health/service/:name`, the fields we read. */
export interface HealthEntry {
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Meta: Record<string, string> | null;
  };
  Node: { Address: string };
  Checks: Array<{ CheckID: string; ServiceID: string; Status: string; Output: string }>;
}

export interface HealthResult {
  entries: HealthEntry[];
  /** `X-Consul-Index`; 0 when the agent sent none. */
  index: bigint;
}

/** The part of the `consul` client we call. Its own typings lack `ctx`, `index` and `wait`. */
interface ConsulLib {
  agent: {
    self(opts: CallOptions): Promise<unknown>;
    service: {
      register(opts: (ServiceDefinition | ConnectServiceDefinition) & CallOptions): Promise<unknown>;
      deregister(opts: { id: string } & CallOptions): Promise<unknown>;
    };
  };
  health: {
    service(opts: { service: string; index?: string; wait?: string } & CallOptions): Promise<unknown>;
  };
  destroy(): void;
}

interface CallOptions {
  ctx: EventEmitter & { includeResponse?: boolean };
}

export interface ConsulClient {
  registerService(def: ServiceDefinition | ConnectServiceDefinition): Promise<void>;
  /** Succeeds when the agent does not know the ID: the goal, no such service, is reached. */
  deregisterService(id: string): Promise<void>;
  /** `unknown` when the agent has no such check (it restarted, or reaped the service). */
  updateCheck(checkId: string, status: CheckStatus, output: string): Promise<'updated' | 'unknown'>;
  /** A health read; with `index` it blocks up to `waitMs` for a change. */
  healthService(
    service: string,
    options?: { index?: bigint; waitMs?: number; signal?: AbortSignal },
  ): Promise<HealthResult>;
  /** The agent's `check_update_interval` in ms, or `undefined` if it cannot be read. */
  checkUpdateIntervalMs(): Promise<number | undefined>;
  destroy(): void;
}

/** Splits `CONSUL_HTTP_ADDR` forms; without a scheme or port it means Consul's default 8500. */
export function parseConsulAddr(addr: string): { host: string; port: number; secure: boolean; base: string } {
  const hasScheme = /^https?:\/\//i.test(addr);
  let url: URL;
  try {
    url = new URL(hasScheme ? addr : `http://${addr}`);
  } catch (cause) {
    throw new InvalidRegistrationError(`not a Consul address: ${JSON.stringify(addr)}`, { cause });
  }
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : hasScheme ? (secure ? 443 : 80) : 8500;
  return { host: url.hostname, port, secure, base: `${url.protocol}//${url.hostname}:${port}` };
}

/**
 * Builds the client. `destroy()` drops its keep-alive sockets.
 *
 * @example
 * ```ts
 * const client = createConsulClient({ consulAddr: '127.0.0.1:8500', timeoutMs: 5000 });
 * const { entries, index } = await client.healthService('tank-server');
 * ```
 */
export function createConsulClient({ consulAddr, token, timeoutMs }: ConsulClientOptions): ConsulClient {
  const { host, port, secure, base } = parseConsulAddr(consulAddr);
  const lib = new Consul({
    host,
    port,
    secure,
    ...(token ? { defaults: { token } } : {}),
  }) as unknown as ConsulLib;
  const authHeaders: Record<string, string> = token ? { 'x-consul-token': token } : {};

  async function registerService(def: ServiceDefinition | ConnectServiceDefinition): Promise<void> {
    await deadline('register', timeoutMs, undefined, (ctx) => lib.agent.service.register({ ...def, ctx }));
  }

  async function deregisterService(id: string): Promise<void> {
    try {
      await deadline('deregister', timeoutMs, undefined, (ctx) => lib.agent.service.deregister({ id, ctx }));
    } catch (err) {
      // Consul answers 404 for an unknown ID although its docs say "no action is taken".
      if (statusOf(err) !== 404) throw err;
    }
  }

  async function updateCheck(
    checkId: string,
    status: CheckStatus,
    output: string,
  ): Promise<'updated' | 'unknown'> {
    let res: Response;
    try {
      res = await fetch(`${base}/v1/agent/check/update/${encodeURIComponent(checkId)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...authHeaders },
        body: JSON.stringify({ Status: status, Output: output }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new DiscoveryUnavailableError(`consul check update: ${reason(cause)}`, { cause });
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return 'updated';
    // 404 "Unknown check ID" today; older agents said 500 "does not have associated TTL".
    if (res.status === 404 || /does not have associated TTL/.test(text)) return 'unknown';
    throw new DiscoveryUnavailableError(`consul check update: HTTP ${res.status} ${text.slice(0, 200)}`);
  }

  async function healthService(
    service: string,
    { index, waitMs, signal }: { index?: bigint; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<HealthResult> {
    const blocking = index !== undefined && index > 0n && waitMs !== undefined;
    // Consul adds up to wait/16 of jitter to a blocking query; allow for it plus the usual deadline.
    const budget = blocking ? waitMs + Math.ceil(waitMs / 16) + timeoutMs : timeoutMs;
    const [res, body] = await deadline('health', budget, signal, (ctx) => {
      ctx.includeResponse = true;
      return lib.health.service({
        service,
        ...(blocking ? { index: index.toString(), wait: `${Math.ceil(waitMs / 1000)}s` } : {}),
        ctx,
      }) as Promise<[{ headers: Record<string, string | undefined> }, HealthEntry[]]>;
    });
    const header = res.headers['x-consul-index'];
    return { entries: Array.isArray(body) ? body : [], index: header ? BigInt(header) : 0n };
  }

  async function checkUpdateIntervalMs(): Promise<number | undefined> {
    try {
      const self = (await deadline('agent self', timeoutMs, undefined, (ctx) => lib.agent.self({ ctx }))) as {
        DebugConfig?: { CheckUpdateInterval?: string };
      };
      const raw = self.DebugConfig?.CheckUpdateInterval;
      if (raw === undefined) return undefined;
      if (raw === '0s' || raw === '0') return 0;
      // DebugConfig prints Go durations like "5m0s".
      const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$/.exec(raw);
      return m ? (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000 : undefined;
    } catch {
      // agent:read may be denied by ACLs; the answer is only used for a hint in the log.
      return undefined;
    }
  }

  return {
    registerService,
    deregisterService,
    updateCheck,
    healthService,
    checkUpdateIntervalMs,
    destroy: () => lib.destroy(),
  };
}

/**
 * Runs one client call with a deadline. The client's `ctx` lets us abort the socket on timeout
 * or on `signal`, so a cancelled call leaves nothing behind.
 */
async function deadline<T>(
  label: string,
  ms: number,
  signal: AbortSignal | undefined,
  run: (ctx: EventEmitter & { includeResponse?: boolean }) => Promise<T>,
): Promise<T> {
  const ctx: EventEmitter & { includeResponse?: boolean } = new EventEmitter();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctx.emit('cancel');
      reject(new DiscoveryUnavailableError(`consul ${label}: no answer within ${ms} ms`));
    }, ms);
  });
  const abort = () => ctx.emit('cancel');
  signal?.addEventListener('abort', abort, { once: true });
  try {
    return await Promise.race([run(ctx), expired]);
  } catch (err) {
    if (err instanceof DiscoveryError) throw err;
    const status = statusOf(err);
    if (status === 400)
      throw new InvalidRegistrationError(`consul ${label}: rejected: ${reason(err)}`, { cause: err });
    throw new DiscoveryUnavailableError(`consul ${label}: ${status ? `HTTP ${status} ` : ''}${reason(err)}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}

/** The client puts the HTTP status on `statusCode` (its messages collapse to `not found`). */
function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; response?: { statusCode?: unknown } } | undefined;
  const status = e?.statusCode ?? e?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A short reason, with the socket error code (`ECONNREFUSED`) that `fetch` hides in `cause`. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
