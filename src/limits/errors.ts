/**
 * @module
 * The refusals of a limit, as `ApiError`s the app's one `onError` answers: 429 `rate_limited`
 * and `too_many_connections` with `Retry-After` and the `RateLimit` / `RateLimit-Policy` fields
 * (draft-ietf-httpapi-ratelimit-headers), 403 `tank_quota_exceeded`.
 */
import { ApiError } from '../http/index.ts';
import type { CounterState } from './types.ts';

/** `"name";q=…;w=…` and `"name";r=…;t=…` of one policy (structured-field items). */
export function rateLimitFields(state: CounterState): { policy: string; limit: string } {
  const t = Math.ceil(state.resetMs / 1000);
  const w = state.windowSeconds > 0 ? `;w=${state.windowSeconds}` : '';
  return {
    policy: `"${state.policy}";q=${state.limit}${w}`,
    limit: `"${state.policy}";r=${state.remaining};t=${t}`,
  };
}

function limitHeaders(state: CounterState): Record<string, string> {
  const fields = rateLimitFields(state);
  return {
    'retry-after': String(Math.max(1, Math.ceil(state.resetMs / 1000))),
    'ratelimit-policy': fields.policy,
    ratelimit: fields.limit,
  };
}

/**
 * A request over a rate limit: 429 until the window named in `Retry-After` ends.
 *
 * @example
 * ```ts
 * if (!state.allowed) throw rateLimited(state);
 * ```
 */
export function rateLimited(state: CounterState): ApiError {
  const seconds = Math.max(1, Math.ceil(state.resetMs / 1000));
  return new ApiError(
    'rate_limited',
    `limit ${state.policy} reached (${state.limit} per ${state.windowSeconds} s); retry in ${seconds} s`,
    {
      extra: { policy: state.policy, retry_after_seconds: seconds },
      headers: limitHeaders(state),
    },
  );
}

/** How long a refused connection is told to wait: connections end at no known time. */
export const CONNECTION_RETRY_SECONDS = 10;

/**
 * A WebSocket or event stream past the number one user or address may hold open at once.
 *
 * @example
 * ```ts
 * throw tooManyConnections('sse-per-user', 20);
 * ```
 */
export function tooManyConnections(policy: string, limit: number): ApiError {
  return new ApiError('too_many_connections', `limit ${policy} reached (${limit} open at once)`, {
    extra: { policy, retry_after_seconds: CONNECTION_RETRY_SECONDS },
    headers: limitHeaders({
      allowed: false,
      policy,
      limit,
      windowSeconds: 0,
      remaining: 0,
      resetMs: CONNECTION_RETRY_SECONDS * 1000,
    }),
  });
}

/**
 * An owner at the tank quota: they delete a tank before they create another.
 *
 * @example
 * ```ts
 * if (owned >= quota) throw tankQuotaExceeded('alice', quota);
 * ```
 */
export function tankQuotaExceeded(owner: string, quota: number): ApiError {
  return new ApiError(
    'tank_quota_exceeded',
    `${owner} already owns ${quota} tanks, the most one user may have; delete one first`,
    { extra: { quota } },
  );
}
