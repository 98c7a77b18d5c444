/**
 * @module
 * Calls to tank servers, from the gateway and from a server driving a tube's transfer. Internal calls are HMAC-signed over the exact bytes
 * sent; every call has a deadline, carries the trace context (`traceparent`), and fails as an
 * `ApiError` (`upstream_timeout` 504, `upstream_unavailable` 502, or the server's own problem
 * code and status). Where a request for server X goes is one function, `resolveServer`: the
 * default reads the server's public URL from discovery, and the mesh swaps in an Envoy upstream
 * plus an `x-tank-server` header without touching anything else.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { signRequest } from '../auth/index.ts';
import { TANK_SERVER_HEADER } from '../discovery/index.ts';
import { ApiError } from '../http/index.ts';
import { clientSpan, injectTraceHeaders } from '../telemetry/index.ts';

/** Where to send a request meant for one server, and headers to add to it. */
export interface ServerTarget {
  baseUrl: string;
  headers?: Record<string, string>;
}

/** Undefined when the server is unknown (the caller answers "unavailable"). */
export type ResolveServer = (serverId: string) => ServerTarget | undefined;

/**
 * In the mesh: every server through this process's Envoy sidecar, its `tank-server` upstream on
 * `upstreamPort`, with the `x-tank-server` header the service-router turns into that server's
 * subset. The gateway and each tank server (its tube moves) use it alike.
 */
export function throughSidecar(upstreamPort: number): ResolveServer {
  const baseUrl = `http://127.0.0.1:${upstreamPort}`;
  return (serverId) => ({ baseUrl, headers: { [TANK_SERVER_HEADER]: serverId } });
}

export interface ServerRequest {
  method: string;
  /** Path and query, e.g. `/internal/tanks` or `/api/tanks/<id>/stats?x=1`. */
  path: string;
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** Sign with the internal secret (internal routes); user routes carry the caller's token instead. */
  signed?: boolean;
  timeoutMs?: number;
}

/** What a server sends back from `POST /internal/tanks` and `/adopt` (its TankStatus). */
export interface CreatedTank {
  tank: {
    tank_id: string;
    name: string;
    description: string;
    owner: string | null;
    server_id: string;
    is_public: boolean;
    allow_transfers: boolean;
    seed: number;
    created_at: string;
  };
  epoch: number;
  [field: string]: unknown;
}

/** The body of `POST /internal/tanks`. */
export interface InternalCreate {
  tank_id: string;
  name: string;
  owner: string | null;
  description?: string;
  seed?: number;
  is_public?: boolean;
  allow_transfers?: boolean;
  initial_fish?: number;
}

export interface ServerClient {
  /** Sends one request and returns the server's response, whatever its status. */
  send(serverId: string, request: ServerRequest): Promise<Response>;
  /** Signed `POST /internal/tanks`; a non-2xx answer throws the server's problem as an ApiError. */
  createTank(serverId: string, body: InternalCreate): Promise<CreatedTank>;
  /** Signed `POST /internal/tanks/:id/adopt`. */
  adoptTank(serverId: string, tankId: string, epoch: number): Promise<CreatedTank>;
  /** Signed `POST /internal/tanks/:id/hand-off` to the tank's owner: a live move to `to`. */
  handOff(serverId: string, tankId: string, to: { serverId: string; wsUrl: string }): Promise<HandedOffTank>;
}

/** What the owner answers to a hand-off: the destination owns the tank from `epoch`, at `frame`. */
export interface HandedOffTank {
  tank_id: string;
  from: string;
  to: string;
  epoch: number;
  frame: number;
}

export interface ServerClientOptions {
  /** The shared secret of internal requests. */
  secret: string;
  resolveServer: ResolveServer;
  /** Default deadline of a call. */
  timeoutMs?: number;
  /** The HTTP client; `globalThis.fetch` unless a transport hands another in (the gateway: `createNodeFetch`). */
  fetch?: (url: URL, init: RequestInit) => Promise<Response>;
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * @example
 * ```ts
 * const client = createServerClient({
 *   secret: config.internalSecret,
 *   resolveServer: (id) => ({ baseUrl: 'http://127.0.0.1:15001', headers: { 'x-tank-server': id } }),
 * });
 * const status = await client.createTank('server-2', { tank_id, name: 'Reef', owner: 'alice' });
 * ```
 */
export function createServerClient({
  secret,
  resolveServer,
  timeoutMs = 5000,
  fetch: fetchFn = globalThis.fetch,
}: ServerClientOptions): ServerClient {
  /** A CLIENT span per call, so the trace shows each call to a server and what it cost. */
  function send(serverId: string, request: ServerRequest): Promise<Response> {
    const path = request.path.split('?')[0]!;
    return clientSpan(
      'tankworld_gateway',
      `${request.method} ${path}`,
      { 'server.id': serverId, 'http.request.method': request.method, 'url.path': path },
      () => sendNow(serverId, request),
    );
  }

  async function sendNow(serverId: string, request: ServerRequest): Promise<Response> {
    const target = resolveServer(serverId);
    if (!target) throw new ApiError('upstream_unavailable', `server ${serverId} is not known to discovery`);
    const url = new URL(request.path, target.baseUrl);
    const headers: Record<string, string> = { ...target.headers, ...request.headers };
    if (request.signed) {
      Object.assign(
        headers,
        signRequest({ secret, method: request.method, path: url.pathname + url.search, body: request.body }),
      );
    }
    injectTraceHeaders(headers);
    const deadline = request.timeoutMs ?? timeoutMs;
    try {
      return await fetchFn(url, {
        method: request.method,
        headers,
        body: request.body,
        signal: AbortSignal.timeout(deadline),
        redirect: 'manual',
      });
    } catch (err) {
      if (isTimeout(err)) {
        throw new ApiError('upstream_timeout', `server ${serverId} did not answer within ${deadline} ms`, {
          cause: err,
        });
      }
      throw new ApiError('upstream_unavailable', `server ${serverId} could not be reached`, { cause: err });
    }
  }

  /** Reads a JSON answer; a problem from the server becomes the same ApiError here. */
  async function json<T>(serverId: string, response: Response): Promise<T> {
    let body: unknown;
    try {
      body = await response.json();
    } catch (err) {
      if (isTimeout(err))
        throw new ApiError('upstream_timeout', `server ${serverId} stalled mid-answer`, { cause: err });
      throw new ApiError('upstream_unavailable', `server ${serverId} sent a body that is not JSON`, {
        cause: err,
      });
    }
    if (response.ok) return body as T;
    const problem = body as { code?: unknown; detail?: unknown };
    const detail =
      typeof problem?.detail === 'string' ? problem.detail : `server ${serverId} answered ${response.status}`;
    throw ApiError.relay({
      code: problem?.code,
      fallback: 'upstream_unavailable',
      status: response.status >= 500 ? 502 : (response.status as ContentfulStatusCode),
      message: detail,
      extra: { server_id: serverId, upstream_status: response.status },
    });
  }

  async function signedJson<T>(serverId: string, path: string, payload: unknown): Promise<T> {
    const body = JSON.stringify(payload);
    const response = await send(serverId, {
      method: 'POST',
      path,
      body,
      headers: { 'content-type': 'application/json' },
      signed: true,
    });
    return json<T>(serverId, response);
  }

  return {
    send,
    createTank: (serverId, body) => signedJson<CreatedTank>(serverId, '/internal/tanks', body),
    adoptTank: (serverId, tankId, epoch) =>
      signedJson<CreatedTank>(serverId, `/internal/tanks/${encodeURIComponent(tankId)}/adopt`, { epoch }),
    handOff: (serverId, tankId, to) =>
      signedJson<HandedOffTank>(serverId, `/internal/tanks/${encodeURIComponent(tankId)}/hand-off`, {
        to_server_id: to.serverId,
        websocket_url: to.wsUrl,
      }),
  };
}
