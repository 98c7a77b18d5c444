/**
 * @module
 * Who may do what on a tank, as the gateway decides it before doing or forwarding anything: the
 * owner is admin, a grant in `tank_permissions` gives its level, and a public tank is readable by
 * every authenticated user. A caller who may not even read a tank is told it does not exist (the
 * same 404 as an unknown tank), so a private tank's existence is not revealed by a 403; one who
 * may read it but needs more gets 403. Granted levels are cached per (tank, user) for a short
 * TTL and dropped when this gateway grants or revokes, so the hot path of a lookup runs no
 * query: the owner and public cases need none at all.
 */
import { type AuthUser, ForbiddenError, hasLevel, type PermissionLevel } from '../auth/index.ts';
import { ApiError } from '../http/index.ts';
import { type Db, permissionOf } from '../store/index.ts';
import type { TankRecord } from './views.ts';

export interface Access {
  /** The caller's level on a tank, undefined when they have none. */
  levelOf(user: AuthUser, record: TankRecord): Promise<PermissionLevel | undefined>;
  /**
   * Resolves when the caller's level includes `needed` (with that level, or just `read` for a
   * public tank read); throws `tankNotFound` when the caller may not even read the tank, and
   * `ForbiddenError` when they may read it but need more.
   */
  require(user: AuthUser, record: TankRecord, needed: PermissionLevel): Promise<PermissionLevel>;
  /** Forgets every cached level on a tank (after a grant, a revoke or a delete). */
  invalidate(tankId: string): void;
  clear(): void;
}

export interface AccessOptions {
  db: Db;
  /** How long a granted level is trusted; another gateway's grant or revoke shows after it. */
  ttlMs?: number;
  /** Most (tank, user) pairs held before the cache starts over. */
  maxEntries?: number;
  clock?: () => number;
}

interface Held {
  /** The granted level, or null for "no grant". */
  level: PermissionLevel | null;
  expiresAt: number;
}

const RANK = { read: 1, write: 2, admin: 3 } as const;

function higher(a: PermissionLevel | undefined, b: PermissionLevel | undefined): PermissionLevel | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The answer about a tank the gateway does not know, and about one the caller may not read:
 * the two must not differ, or the difference tells that a private tank exists.
 *
 * @example
 * ```ts
 * if (!record) throw tankNotFound(tankId);
 * ```
 */
export function tankNotFound(tankId: string): ApiError {
  return new ApiError('tank_not_found', `no tank ${tankId}`);
}

/**
 * @example
 * ```ts
 * const access = createAccess({ db, ttlMs: 5000 });
 * await access.require(c.var.user, record, 'write'); // 404 without read, ForbiddenError (403) with it
 * ```
 */
export function createAccess({
  db,
  ttlMs = 5000,
  maxEntries = 100_000,
  clock = Date.now,
}: AccessOptions): Access {
  const byTank = new Map<string, Map<string, Held>>();
  let count = 0;

  async function granted(tankId: string, userId: string): Promise<PermissionLevel | undefined> {
    const now = clock();
    const held = byTank.get(tankId)?.get(userId);
    if (held && held.expiresAt > now) return held.level ?? undefined;
    const level = await permissionOf(db, { tankId, userId });
    // Starting over is crude but bounded, and a full cache only costs one query per caller.
    if (count >= maxEntries) {
      byTank.clear();
      count = 0;
    }
    let users = byTank.get(tankId);
    if (!users) {
      users = new Map();
      byTank.set(tankId, users);
    }
    if (!users.has(userId)) count++;
    users.set(userId, { level: level ?? null, expiresAt: now + ttlMs });
    return level;
  }

  async function levelOf(user: AuthUser, record: TankRecord): Promise<PermissionLevel | undefined> {
    if (record.owner !== null && record.owner === user.userId) return 'admin';
    return higher(await granted(record.tankId, user.userId), record.isPublic ? 'read' : undefined);
  }

  return {
    levelOf,
    async require(user, record, needed) {
      // Reading a public tank needs no grant, so it needs no query either.
      // (The level it answers is then at least `read`, which is all a read route asks.)
      if (needed === 'read' && record.isPublic) return record.owner === user.userId ? 'admin' : 'read';
      const level = await levelOf(user, record);
      if (level === undefined) throw tankNotFound(record.tankId);
      if (!hasLevel(level, needed)) {
        throw new ForbiddenError(
          `${needed} permission on tank ${record.tankId} is needed; you have ${level ?? 'none'}`,
        );
      }
      return level as PermissionLevel;
    },
    invalidate(tankId) {
      const users = byTank.get(tankId);
      if (!users) return;
      count -= users.size;
      byTank.delete(tankId);
    },
    clear() {
      byTank.clear();
      count = 0;
    },
  };
}
