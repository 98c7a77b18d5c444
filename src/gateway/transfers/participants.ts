/**
 * @module
 * The coordinator's calls to transfer participants: the signed internal steps of a tank server
 * (`src/server/routes-transfers.ts`). A participant that cannot be reached (or does not answer
 * in time) is an `ApiError('unavailable')` (503); a participant's own problem (unknown fish,
 * full tank, …) keeps its code and status.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../../http/index.ts';
import type { ServerClient } from '../server-client.ts';

export interface PreparedSource {
  entity_uid: string;
  old_id: number | null;
  payload: Record<string, unknown>;
}

export interface Census {
  server_id: string;
  reservations: Array<{ transfer_id: string; tank_id: string; role: 'source' | 'dest'; entity_uid: string }>;
  tanks: Array<{ tank_id: string; uids: string[] }>;
}

export interface Participants {
  prepareSource(
    serverId: string,
    transferId: string,
    body: { tank_id: string; entity_id: number },
  ): Promise<PreparedSource>;
  prepareDest(
    serverId: string,
    transferId: string,
    body: { tank_id: string; payload: unknown },
  ): Promise<unknown>;
  commitDest(
    serverId: string,
    transferId: string,
    body: { tank_id: string; entity_uid: string },
  ): Promise<{ new_id: number | null }>;
  commitSource(serverId: string, transferId: string): Promise<unknown>;
  abort(serverId: string, transferId: string): Promise<unknown>;
  census(serverId: string): Promise<Census>;
}

/** True for an error that says "could not reach the participant", not "it said no". */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 503 || err.status === 502 || err.status === 504);
}

/**
 * @example
 * ```ts
 * const participants = createParticipants({ client, timeoutMs: 2000 });
 * const { payload } = await participants.prepareSource('server-1', transferId, { tank_id, entity_id: 42 });
 * ```
 */
export function createParticipants({
  client,
  timeoutMs = 3000,
}: {
  client: Pick<ServerClient, 'send'>;
  timeoutMs?: number;
}): Participants {
  async function call<T>(serverId: string, method: string, path: string, payload?: unknown): Promise<T> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    let response: Response;
    try {
      response = await client.send(serverId, {
        method,
        path,
        body,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        signed: true,
        timeoutMs,
      });
    } catch (err) {
      throw new ApiError('unavailable', `participant ${serverId} could not be reached`, {
        cause: err,
        extra: { server_id: serverId },
      });
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch (err) {
      throw new ApiError('unavailable', `participant ${serverId} broke off its answer`, { cause: err });
    }
    if (response.ok) return answer as T;
    const problem = answer as { code?: unknown; detail?: unknown };
    const code = typeof problem?.code === 'string' ? problem.code : 'unavailable';
    const detail =
      typeof problem?.detail === 'string'
        ? problem.detail
        : `participant ${serverId} answered ${response.status}`;
    // A participant's 5xx is the participant failing, which the caller treats as unreachable.
    const status = (response.status >= 500 ? 503 : response.status) as ContentfulStatusCode;
    throw new ApiError(response.status >= 500 ? 'unavailable' : code, detail, {
      status,
      extra: { server_id: serverId },
    });
  }
  const step = (transferId: string, name: string) =>
    `/internal/transfers/${encodeURIComponent(transferId)}/${name}`;
  return {
    prepareSource: (s, id, body) => call(s, 'POST', step(id, 'prepare-source'), body),
    prepareDest: (s, id, body) => call(s, 'POST', step(id, 'prepare-dest'), body),
    commitDest: (s, id, body) => call(s, 'POST', step(id, 'commit-dest'), body),
    commitSource: (s, id) => call(s, 'POST', step(id, 'commit-source'), {}),
    abort: (s, id) => call(s, 'POST', step(id, 'abort'), {}),
    census: (s) => call(s, 'GET', '/internal/transfers/reservations'),
  };
}
