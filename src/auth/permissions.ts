/**
 * @module
 * Tank permission levels and the check routes run. Where a level comes from (the
 * `tank_permissions` table) is the store's business: it is passed in as `lookupLevel`.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from './bearer.ts';
import { ForbiddenError } from './errors.ts';

/** Levels and their rank: each level allows everything the lower ones do. */
export const PermissionLevel = { read: 1, write: 2, admin: 3 } as const;
export type PermissionLevel = keyof typeof PermissionLevel;

/**
 * Whether `value` names a level (for values read from the database or a request body).
 *
 * @example
 * ```ts
 * if (!isPermissionLevel(body.level)) throw new ApiError('invalid_request', 'unknown level');
 * ```
 */
export function isPermissionLevel(value: unknown): value is PermissionLevel {
  return typeof value === 'string' && Object.hasOwn(PermissionLevel, value);
}

/**
 * Whether a granted level (or none) is enough for the needed one.
 *
 * @example
 * ```ts
 * hasLevel('admin', 'write'); // true
 * hasLevel('read', 'write'); // false
 * hasLevel(undefined, 'read'); // false
 * ```
 */
export function hasLevel(granted: PermissionLevel | undefined, needed: PermissionLevel): boolean {
  return granted !== undefined && PermissionLevel[granted] >= PermissionLevel[needed];
}

/** A user's level on a tank, `undefined` when they have none; may throw (e.g. unknown tank). */
export type LookupLevel = (userId: string, tankId: string) => Promise<PermissionLevel | undefined>;

/** Routes behind `requireLevel` also know the level the caller holds. */
export interface PermissionEnv {
  Variables: AuthEnv['Variables'] & { level: PermissionLevel };
}

export interface RequireLevelOptions {
  needed: PermissionLevel;
  lookupLevel: LookupLevel;
  /** The route parameter holding the tank id. */
  param?: string;
}

/**
 * Lets the request through when the caller (`c.var.user`, set by `bearerAuth`) holds at
 * least `needed` on the tank in `:param`, and sets `c.var.level`; throws `ForbiddenError`
 * otherwise. Whatever `lookupLevel` throws (a not-found error for an unknown tank) passes on.
 *
 * @example
 * ```ts
 * const lookupLevel = (userId, tankId) => permissions.levelOf(db, userId, tankId);
 * app.delete('/api/tanks/:id', requireLevel({ needed: 'admin', lookupLevel }), deleteTank);
 * ```
 */
export function requireLevel({
  needed,
  lookupLevel,
  param = 'id',
}: RequireLevelOptions): MiddlewareHandler<PermissionEnv> {
  if (!isPermissionLevel(needed)) throw new TypeError(`unknown permission level ${String(needed)}`);
  return async function requireLevel(c, next) {
    const user = c.get('user');
    // A route wired without bearerAuth in front is a bug: fail loudly, never open.
    if (user === undefined) throw new Error('requireLevel runs after bearerAuth');
    const tankId = c.req.param(param);
    if (tankId === undefined) throw new Error(`requireLevel: the route has no :${param} parameter`);
    const granted = await lookupLevel(user.userId, tankId);
    if (!hasLevel(granted, needed))
      throw new ForbiddenError(`${needed} access to tank ${tankId} is required`);
    c.set('level', granted as PermissionLevel);
    await next();
  };
}
