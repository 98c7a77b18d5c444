/**
 * @module
 * The coordinator's calls to transfer participants: the signed internal steps of a tank server
 * (`src/server/transfers/routes.ts`). Steps bound for one server go out together, as one call of
 * `POST /internal/transfers/steps`, when several transfers ask at the same moment: the signing
 * costs more CPU than the step. A participant that cannot be reached (or does not answer
 * in time) is an `ApiError('unavailable')` (503); a participant's own problem (unknown fish,
 * full tank, …) keeps its code and status.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Batcher, createBatcher } from '../batch/index.ts';
import { ApiError } from '../http/index.ts';
import { isMigratingFish, toMigratingFish } from '../migrating/index.ts';
import type { ServerClient } from '../server-client/index.ts';
import type { FishPayload } from '../sim/index.ts';

/**
 * A fish crosses to its destination as a migrating fish (v1, `src/migrating`): the one format
 * the receiver checks field by field. The source answers with the sim's payload, which the log
 * keeps as it came.
 */
function onTheWire(payload: unknown): unknown {
  const fish = payload as { kind?: unknown } | null;
  if (fish === null || typeof fish !== 'object' || fish.kind !== 'fish' || isMigratingFish(payload))
    return payload;
  try {
    return toMigratingFish(payload as FishPayload);
  } catch {
    // Not a whole sim payload: sent as it came, for the receiver's check to name what is wrong.
    return payload;
  }
}

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

/** A step's result as the server answers it in a batch: what its single-step route would say. */
interface StepResult {
  status: number;
  body: unknown;
}

interface Step {
  transfer_id: string;
  step: 'prepare-source' | 'prepare-dest' | 'commit-dest' | 'commit-source' | 'abort';
  body: object;
}

/**
 * Most steps one call carries. A prepare-dest step carries a fish (up to ~1.8 KB as JSON); 24
 * of them stay well under the servers' 64 KiB body limit (they accept up to 256 steps).
 */
const MAX_STEPS_PER_CALL = 24;

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
  /** Sends one signed call; an unreachable server or a broken answer is `unavailable`. */
  async function request(serverId: string, method: string, path: string, payload?: unknown) {
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
    try {
      return { status: response.status, body: (await response.json()) as unknown };
    } catch (err) {
      throw new ApiError('unavailable', `participant ${serverId} broke off its answer`, { cause: err });
    }
  }

  /** A 2xx answer's body, or the participant's problem as an ApiError. */
  function answerOf<T>(serverId: string, { status, body }: StepResult): T {
    if (status >= 200 && status < 300) return body as T;
    const problem = body as { code?: unknown; detail?: unknown };
    const detail =
      typeof problem?.detail === 'string' ? problem.detail : `participant ${serverId} answered ${status}`;
    // A participant's 5xx is the participant failing, which the caller treats as unreachable.
    if (status >= 500) throw new ApiError('unavailable', detail, { extra: { server_id: serverId } });
    throw ApiError.relay({
      code: problem?.code,
      fallback: 'unavailable',
      status: status as ContentfulStatusCode,
      message: detail,
      extra: { server_id: serverId },
    });
  }

  /**
   * Sends a batch of steps in one call. A refusal of the whole call (a bad signature, a 5xx)
   * fails every step of it, as it would have failed each step sent alone.
   */
  async function sendSteps(serverId: string, steps: Step[]): Promise<StepResult[]> {
    const answer = await request(serverId, 'POST', '/internal/transfers/steps', { steps });
    const results = answerOf<{ results?: unknown }>(serverId, answer).results;
    if (!Array.isArray(results) || results.length !== steps.length) {
      const detail = `participant ${serverId} did not answer each of ${steps.length} steps`;
      throw new ApiError('unavailable', detail, { extra: { server_id: serverId } });
    }
    return results.map((r: { status?: unknown; body?: unknown }) => ({
      status: typeof r?.status === 'number' ? r.status : 502,
      body: r?.body,
    }));
  }

  // One batcher per server, so steps of concurrent transfers bound for it share one signed call.
  const batchers = new Map<string, Batcher<Step, StepResult>>();
  async function step<T>(serverId: string, transferId: string, name: Step['step'], body: object): Promise<T> {
    let batcher = batchers.get(serverId);
    if (!batcher) {
      batcher = createBatcher({ run: (steps) => sendSteps(serverId, steps), maxBatch: MAX_STEPS_PER_CALL });
      batchers.set(serverId, batcher);
    }
    return answerOf<T>(serverId, await batcher({ transfer_id: transferId, step: name, body }));
  }

  return {
    prepareSource: (s, id, body) => step(s, id, 'prepare-source', body),
    prepareDest: (s, id, body) => step(s, id, 'prepare-dest', { ...body, payload: onTheWire(body.payload) }),
    commitDest: (s, id, body) => step(s, id, 'commit-dest', body),
    commitSource: (s, id) => step(s, id, 'commit-source', {}),
    abort: (s, id) => step(s, id, 'abort', {}),
    census: async (s) => answerOf<Census>(s, await request(s, 'GET', '/internal/transfers/reservations')),
  };
}
