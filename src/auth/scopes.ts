/**
 * @module
 * Network-wide roles, carried in the token's space-separated `scope` claim (RFC 8693). A tank's
 * own levels (read, write, admin) are per tank, in `permissions.ts`; a scope is about the whole
 * network, which no tank grant can give.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from './bearer.ts';
import { ForbiddenError } from './errors.ts';
import type { AuthUser } from './jwt.ts';

/**
 * The operator's scope: network-wide views that name every tank, private ones included, and
 * count what every user has (`GET /api/audit`). Mint one with `tankworld token --user ops --operator`.
 */
export const OPERATOR_SCOPE = 'operator';

/**
 * Whether a verified user's token carries `scope`.
 *
 * @example
 * ```ts
 * hasScope({ userId: 'ops', scopes: ['operator'] }, OPERATOR_SCOPE); // true
 * hasScope({ userId: 'alice' }, OPERATOR_SCOPE); // false
 * ```
 */
export function hasScope(user: AuthUser, scope: string): boolean {
  return user.scopes?.includes(scope) ?? false;
}

/**
 * Lets the request through when the caller's token (verified by `bearerAuth` in front) carries
 * `scope`; throws `ForbiddenError` (403) otherwise.
 *
 * @example
 * ```ts
 * app.use('/api/audit', bearerAuth({ verifier }), requireScope({ scope: OPERATOR_SCOPE }));
 * ```
 */
export function requireScope({ scope }: { scope: string }): MiddlewareHandler<AuthEnv> {
  if (typeof scope !== 'string' || scope === '' || /\s/.test(scope))
    throw new TypeError('requireScope needs one scope name');
  return async function requireScope(c, next) {
    const user = c.get('user');
    // A route wired without bearerAuth in front is a bug: fail loudly, never open.
    if (user === undefined) throw new Error('requireScope runs after bearerAuth');
    if (!hasScope(user, scope)) throw new ForbiddenError(`the ${scope} scope is required`);
    await next();
  };
}
