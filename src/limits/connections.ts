/**
 * @module
 * How many long-lived connections (WebSockets, event streams) each user and each client address
 * holds open here. Counted in this process: a connection lives in one process, and a count kept
 * elsewhere would outlive a process that died holding it.
 */
import { tooManyConnections } from './errors.ts';

export interface Holder {
  user?: string;
  address?: string;
}

export interface ConnectionLimit {
  /**
   * Holds one place for each key of `holder`, or throws `too_many_connections` (429) without
   * holding any; returns the function that gives them back (safe to call twice).
   */
  open(holder: Holder): () => void;
  /** Connections held now by a user (or an address). */
  held(holder: Holder): number;
}

export interface ConnectionLimitOptions {
  /** Names the policies: `ws` gives `ws-per-user` and `ws-per-address`. */
  name: string;
  perUser: number;
  perAddress: number;
}

/**
 * @example
 * ```ts
 * const ws = createConnectionLimit({ name: 'ws', perUser: 200, perAddress: 500 });
 * const release = ws.open({ user: 'alice', address: '203.0.113.7' });
 * socket.on('close', release);
 * ```
 */
export function createConnectionLimit({
  name,
  perUser,
  perAddress,
}: ConnectionLimitOptions): ConnectionLimit {
  const users = new Map<string, number>();
  const addresses = new Map<string, number>();
  const checks = [
    { counts: users, limit: perUser, policy: `${name}-per-user`, key: (h: Holder) => h.user },
    { counts: addresses, limit: perAddress, policy: `${name}-per-address`, key: (h: Holder) => h.address },
  ];
  return {
    open(holder) {
      const taken = checks.flatMap((check) => {
        const key = check.key(holder);
        return key === undefined || check.limit <= 0 ? [] : [{ ...check, key }];
      });
      for (const { counts, key, limit, policy } of taken) {
        if ((counts.get(key) ?? 0) >= limit) throw tooManyConnections(policy, limit);
      }
      for (const { counts, key } of taken) counts.set(key, (counts.get(key) ?? 0) + 1);
      let released = false;
      return function release() {
        if (released) return;
        released = true;
        for (const { counts, key } of taken) {
          const left = (counts.get(key) ?? 1) - 1;
          if (left > 0) counts.set(key, left);
          else counts.delete(key);
        }
      };
    },
    held(holder) {
      return holder.user !== undefined
        ? (users.get(holder.user) ?? 0)
        : holder.address !== undefined
          ? (addresses.get(holder.address) ?? 0)
          : 0;
    },
  };
}
