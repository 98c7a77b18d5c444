/**
 * @module
 * A request carrying `x-tank-server: <id>` was routed by the mesh to server `<id>`; if it reached
 * another server (a stale route while subsets change), that server answers 421 Misdirected
 * Request instead of serving, so a misroute is never taken for "no such tank here".
 */
import type { MiddlewareHandler } from 'hono';
import { TANK_SERVER_HEADER } from '../discovery/index.ts';
import { ApiError } from '../http/index.ts';

/**
 * @example
 * ```ts
 * app.use('*', refuseMisdirected({ serverId: 'server-2' }));
 * ```
 */
export function refuseMisdirected({ serverId }: { serverId: string }): MiddlewareHandler {
  return async (c, next) => {
    const wanted = c.req.header(TANK_SERVER_HEADER);
    if (wanted !== undefined && wanted !== serverId) {
      throw new ApiError('misdirected_request', `this is server ${serverId}, not ${wanted}`, {
        extra: { server_id: serverId, requested_server_id: wanted },
      });
    }
    await next();
  };
}
