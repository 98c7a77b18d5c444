/**
 * @module
 * Queries on `tank_permissions`: one level per user per tank, and the owner of a tank is its
 * admin without a row.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { attempt, NotFoundError } from './errors.ts';
import { isUuid } from './ids.ts';
import {
  PERMISSIONS,
  type Permission,
  type TankPermission,
  tankPermissionsTable,
  tanksTable,
} from './schema.ts';

export interface Grant {
  tankId: string;
  userId: string;
  permission: Permission;
}

/**
 * True when `held` includes `needed` (admin ⊇ write ⊇ read).
 *
 * @example
 * ```ts
 * if (!permits(await permissionOf(db, { tankId, userId }), 'write')) throw forbidden();
 * ```
 */
export function permits(held: Permission | undefined, needed: Permission): boolean {
  return held !== undefined && PERMISSIONS.indexOf(held) >= PERMISSIONS.indexOf(needed);
}

/**
 * Gives a user a level on a tank, replacing the level they had. Throws `NotFoundError` for an
 * unknown tank.
 *
 * @example
 * ```ts
 * await grantPermission(db, { tankId, userId: 'bob', permission: 'write' });
 * ```
 */
export async function grantPermission(
  db: Db,
  { tankId, userId, permission }: Grant,
): Promise<TankPermission> {
  if (!isUuid(tankId)) throw new NotFoundError(`no tank ${tankId}`);
  return attempt(`grant ${permission} on tank ${tankId} to ${userId}`, async () => {
    const [row] = await db
      .insert(tankPermissionsTable)
      .values({ tankId, userId, permission })
      .onConflictDoUpdate({
        target: [tankPermissionsTable.tankId, tankPermissionsTable.userId],
        set: { permission, grantedAt: sql`now()` },
      })
      .returning();
    return row!;
  });
}

/**
 * Takes a user's level on a tank away; false when they had none. The owner stays admin.
 *
 * @example
 * ```ts
 * await revokePermission(db, { tankId, userId: 'bob' });
 * ```
 */
export async function revokePermission(
  db: Db,
  { tankId, userId }: { tankId: string; userId: string },
): Promise<boolean> {
  if (!isUuid(tankId)) return false;
  return attempt(`revoke permission on tank ${tankId} of ${userId}`, async () => {
    const gone = await db
      .delete(tankPermissionsTable)
      .where(and(eq(tankPermissionsTable.tankId, tankId), eq(tankPermissionsTable.userId, userId)))
      .returning({ userId: tankPermissionsTable.userId });
    return gone.length > 0;
  });
}

/**
 * A user's level on a tank: `admin` for its owner, else the granted level, else undefined
 * (also for an unknown tank). Whether a public tank is readable by anyone is the caller's policy.
 *
 * @example
 * ```ts
 * const level = await permissionOf(db, { tankId, userId: 'alice' }); // 'admin' | 'write' | 'read' | undefined
 * ```
 */
export async function permissionOf(
  db: Db,
  { tankId, userId }: { tankId: string; userId: string },
): Promise<Permission | undefined> {
  if (!isUuid(tankId)) return undefined;
  return attempt(`permission on tank ${tankId} of ${userId}`, async () => {
    const [row] = await db
      .select({ owner: tanksTable.owner, permission: tankPermissionsTable.permission })
      .from(tanksTable)
      .leftJoin(
        tankPermissionsTable,
        and(eq(tankPermissionsTable.tankId, tanksTable.tankId), eq(tankPermissionsTable.userId, userId)),
      )
      .where(eq(tanksTable.tankId, tankId));
    if (!row) return undefined;
    return row.owner === userId ? 'admin' : (row.permission ?? undefined);
  });
}

/**
 * Every grant on a tank, by user id (the owner appears only if granted explicitly).
 *
 * @example
 * ```ts
 * const grants = await listPermissions(db, tankId);
 * ```
 */
export async function listPermissions(db: Db, tankId: string): Promise<TankPermission[]> {
  if (!isUuid(tankId)) return [];
  return attempt(`list permissions on tank ${tankId}`, () =>
    db
      .select()
      .from(tankPermissionsTable)
      .where(eq(tankPermissionsTable.tankId, tankId))
      .orderBy(asc(tankPermissionsTable.userId)),
  );
}
