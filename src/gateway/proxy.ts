/**
 * @module
 * Forwarding `/api/tanks/:id/…` to the server that owns the tank, with the caller's own
 * `Authorization` (or its session cookie's token as one: the server checks the same token and
 * level again), the trace context, and a
 * deadline. The answer is passed through as the server gave it. What goes wrong on the way is a
 * problem+json from the gateway: an owner that discovery marks critical or does not know is
 * `tank_unavailable` (503) before anything is sent, an owner that refuses the connection is
 * `upstream_unavailable` (502), one that does not answer in time is `upstream_timeout` (504).
 */
import type { HonoRequest } from 'hono';
import { forwardedAuthorization } from '../auth/index.ts';
import { ApiError } from '../http/index.ts';
import type { ServerClient } from '../server-client/index.ts';
import type { ServerDirectory } from './directory.ts';
import type { TankRecord } from './views.ts';

/**
 * Request headers forwarded to the server; hop-by-hop and host headers are not, and the request
 * id goes on as `observe` validated it (with the trace context, by the server client).
 */
const FORWARDED_REQUEST = ['content-type', 'accept', 'idempotency-key'];
/** Response headers passed back to the caller. */
const FORWARDED_RESPONSE = ['content-type', 'cache-control', 'etag', 'location', 'retry-after'];

/**
 * The problem for a tank whose server cannot be reached now.
 *
 * @example
 * ```ts
 * if (!directory.isAvailable(record.serverId)) throw tankUnavailable(record);
 * ```
 */
export function tankUnavailable(record: TankRecord): ApiError {
  const where = record.serverId ? `its server ${record.serverId} is unavailable` : 'it has no server';
  return new ApiError('tank_unavailable', `tank ${record.tankId} is unavailable: ${where}`, {
    extra: { tank_id: record.tankId, server_id: record.serverId },
  });
}

export interface TankProxy {
  /**
   * Sends the request on to the tank's server and returns its answer. Takes Hono's request,
   * whose body reads are cached, so a validator that read the body first does not empty it.
   */
  forward(record: TankRecord, request: HonoRequest): Promise<Response>;
}

export interface ProxyOptions {
  directory: ServerDirectory;
  serverClient: ServerClient;
  timeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const proxy = createProxy({ directory, serverClient, timeoutMs: 10_000 });
 * app.get('/api/tanks/:id/stats', async (c) => proxy.forward(await lookup(c), c.req));
 * ```
 */
export function createTankProxy({ directory, serverClient, timeoutMs = 10_000 }: ProxyOptions): TankProxy {
  return {
    async forward(record, request) {
      const serverId = record.serverId;
      if (serverId === null || !directory.isAvailable(serverId)) throw tankUnavailable(record);
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      // The caller's token goes on as a header, also when the web app's session cookie carried it.
      const authorization = forwardedAuthorization(request.raw.headers);
      if (authorization !== undefined) headers.authorization = authorization;
      for (const name of FORWARDED_REQUEST) {
        const value = request.header(name);
        if (value !== undefined) headers[name] = value;
      }
      let body: Uint8Array<ArrayBuffer> | undefined;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        try {
          body = new Uint8Array(await request.arrayBuffer());
        } catch (err) {
          // The client went away mid-body (or broke its chunked encoding): its doing, not a
          // fault of ours to log as one.
          throw new ApiError('invalid_request', 'the request body ended before it was complete', {
            cause: err,
          });
        }
      }
      let upstream: Response;
      try {
        upstream = await serverClient.send(serverId, {
          method: request.method,
          path: url.pathname + url.search,
          body,
          headers,
          // Signed as the gateway's: the server then counts the user's limits, not this
          // gateway's address (every user behind it shares that).
          signed: true,
          timeoutMs,
        });
      } catch (err) {
        if (err instanceof ApiError) {
          throw ApiError.relay({
            code: err.code,
            fallback: err.code,
            status: err.status,
            message: `tank ${record.tankId} is unavailable: ${err.message}`,
            extra: { tank_id: record.tankId, server_id: serverId },
            cause: err,
          });
        }
        throw err;
      }
      let payload: ArrayBuffer;
      try {
        // Read whole: the answers are small JSON, and a stall mid-body is then still a 504.
        payload = await upstream.arrayBuffer();
      } catch (err) {
        throw new ApiError(
          'upstream_timeout',
          `tank ${record.tankId}: server ${serverId} stalled mid-answer`,
          {
            extra: { tank_id: record.tankId, server_id: serverId },
            cause: err,
          },
        );
      }
      const out = new Headers();
      for (const name of FORWARDED_RESPONSE) {
        const value = upstream.headers.get(name);
        if (value !== null) out.set(name, value);
      }
      out.set('x-tank-server', serverId);
      return new Response(upstream.status === 204 || upstream.status === 304 ? null : payload, {
        status: upstream.status,
        headers: out,
      });
    },
  };
}
