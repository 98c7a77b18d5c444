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

const PER = {
  requests: ['requestsPerUser', 'requestsPerAddress'],
  creates: ['createsPerUser', 'createsPerAddress'],
  transfers: ['transfersPerUser', 'transfersPerAddress'],
} as const satisfies Record<LimitKind, readonly [keyof LimitsConfig, keyof LimitsConfig]>;

/**
 * @example
 * ```ts
 * const limits = createLimits({ backend: createMemoryLimitBackend(), config, scope: 'gateway' });
 * await limits.take('creates', { user: 'alice', address: '203.0.113.7' });
 * ```
 */
export function createLimits({ backend, config, scope }: CreateLimitsOptions): Limits {
  const counters = new Map<string, { counter: Counter; policy: string }>();
  function counter(kind: LimitKind, by: 'user' | 'address') {
    const limit = config[PER[kind][by === 'user' ? 0 : 1]];
    if (limit <= 0) return undefined;
    const policy = `${kind}-per-${by}`;
    let entry = counters.get(policy);
    if (!entry) {
      const name = `${scope}:${policy}`;
      entry = { counter: backend.counter({ name, limit, windowSeconds: config.windowSeconds }), policy };
      counters.set(policy, entry);
    }
    return entry;
  }

  return {
    config,
    async take(kind, { user, address }) {
      const pending: Array<Promise<CounterState>> = [];
      for (const [by, key] of [
        ['user', user],
        ['address', address],
      ] as const) {
        const entry = key === undefined ? undefined : counter(kind, by);
        if (entry && key !== undefined)
          pending.push(entry.counter.consume(key).then((s) => ({ ...s, policy: entry.policy })));
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
