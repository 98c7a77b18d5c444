/**
 * @module
 * One gateway's or server's limits over a backend: the rate counters per user and per client
 * address for requests, tank creations and transfers, the open-connection counts for
 * WebSockets and event streams, and the tank quota.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { LimitsConfig } from './config.ts';
import { type ConnectionLimit, createConnectionLimit } from './connections.ts';
import { rateLimited } from './errors.ts';
import type { Counter, CounterState, LimitBackend } from './types.ts';

export type LimitKind = 'requests' | 'creates' | 'transfers';

/** Whose allowance a unit is counted against: either key or both. */
export interface Caller {
  user?: string;
  address?: string;
}

export interface Limits {
  readonly config: LimitsConfig;
  /**
   * Counts one unit of `kind` against the caller's user and address allowances; throws
   * `rate_limited` (429) when either is spent, after `refusalDelayMs`. Answers the tighter state (for the `RateLimit`
   * fields), or undefined when nothing limits this kind for this caller.
   */
  take(kind: LimitKind, caller: Caller): Promise<CounterState | undefined>;
  readonly ws: ConnectionLimit;
  readonly sse: ConnectionLimit;
  /** Tanks one owner may have; 0 for no quota. */
  readonly tanksPerOwner: number;
}

export interface CreateLimitsOptions {
  backend: LimitBackend;
  config: LimitsConfig;
  /**
   * Namespaces the counters: gateways share `gateway` (several gateways count one user
   * together), servers share `server`.
   */
  scope: 'gateway' | 'server';
}

/** The allowances each kind is counted against: whose, which setting, and the window. */
const PER: Record<
  LimitKind,
  Array<{ by: 'user' | 'address'; setting: keyof LimitsConfig; perSecond?: true }>
> = {
  requests: [
    { by: 'user', setting: 'requestsPerUser' },
    // A burst cap beside the window: the window's allowance is not spent in one second.
    { by: 'user', setting: 'requestsPerUserPerSecond', perSecond: true },
    { by: 'address', setting: 'requestsPerAddress' },
  ],
  creates: [
    { by: 'user', setting: 'createsPerUser' },
    { by: 'user', setting: 'createsPerUserPerSecond', perSecond: true },
    { by: 'address', setting: 'createsPerAddress' },
  ],
  transfers: [
    { by: 'user', setting: 'transfersPerUser' },
    { by: 'address', setting: 'transfersPerAddress' },
  ],
};

/**
 * @example
 * ```ts
 * const limits = createLimits({ backend: createMemoryLimitBackend(), config, scope: 'gateway' });
 * await limits.take('creates', { user: 'alice', address: '203.0.113.7' });
 * ```
 */
export function createLimits({ backend, config, scope }: CreateLimitsOptions): Limits {
  const counters = new Map<LimitKind, Array<{ by: 'user' | 'address'; counter: Counter; policy: string }>>();
  function countersOf(kind: LimitKind) {
    let list = counters.get(kind);
    if (!list) {
      list = PER[kind].flatMap(({ by, setting, perSecond }) => {
        const limit = config[setting];
        if (limit <= 0) return [];
        const policy = `${kind}-per-${by}${perSecond ? '-per-second' : ''}`;
        const windowSeconds = perSecond ? 1 : config.windowSeconds;
        return [
          { by, policy, counter: backend.counter({ name: `${scope}:${policy}`, limit, windowSeconds }) },
        ];
      });
      counters.set(kind, list);
    }
    return list;
  }

  return {
    config,
    async take(kind, { user, address }) {
      const pending: Array<Promise<CounterState>> = [];
      for (const { by, counter, policy } of countersOf(kind)) {
        const key = by === 'user' ? user : address;
        if (key !== undefined) pending.push(counter.consume(key).then((s) => ({ ...s, policy })));
      }
      if (pending.length === 0) return undefined;
      const states = await Promise.all(pending);
      const refused = states.filter((s) => !s.allowed).sort((a, b) => b.resetMs - a.resetMs)[0];
      if (refused) {
        const delay = Math.min(config.refusalDelayMs, refused.resetMs);
        if (delay > 0) await sleep(delay);
        throw rateLimited({ ...refused, resetMs: Math.max(0, refused.resetMs - delay) });
      }
      return states.sort((a, b) => a.remaining / a.limit - b.remaining / b.limit)[0];
    },
    ws: createConnectionLimit({ name: 'ws', perUser: config.wsPerUser, perAddress: config.wsPerAddress }),
    sse: createConnectionLimit({ name: 'sse', perUser: config.ssePerUser, perAddress: config.ssePerAddress }),
    tanksPerOwner: config.tanksPerOwner,
  };
}
