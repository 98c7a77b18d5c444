/**
 * @module
 * The store's errors: one base class with a stable `code`, a subclass per case a caller branches
 * on, and `toStoreError`, which turns a driver's error into one of them while keeping it as the
 * `cause`. The HTTP layer maps the codes to statuses in one place (`src/http/problem-codes.ts`), whose
 * table types `code` here.
 */
import type { ProblemCode } from '../http/index.ts';

/** Options every store error takes; `cause` is the driver's error when there is one. */
export interface StoreErrorOptions {
  cause?: unknown;
}

/**
 * Base of every error the store throws on purpose. Branch on `code`, never on the message.
 *
 * @example
 * ```ts
 * try { await moveTank(db, move); } catch (err) {
 *   if (err instanceof StoreError && err.code === 'stale_epoch') stopTank(move.tankId);
 * }
 * ```
 */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  readonly code: ProblemCode;
  constructor(code: ProblemCode, message: string, options: StoreErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}

/**
 * A row that must exist does not (or a row refers to one that does not).
 *
 * @example
 * ```ts
 * throw new NotFoundError(`no tank ${tankId}`);
 * ```
 */
export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options: StoreErrorOptions = {}) {
    super('not_found', message, options);
  }
}

/**
 * A write clashes with a row already there (a duplicate key, or a state that forbids the change).
 *
 * @example
 * ```ts
 * throw new ConflictError(`transfer ${id} is already committed`);
 * ```
 */
export class ConflictError extends StoreError {
  override readonly name = 'ConflictError';
  constructor(message: string, options: StoreErrorOptions = {}) {
    super('conflict', message, options);
  }
}

/**
 * A value the database cannot store: a NUL in text (SQLSTATE 22021) or `\u0000` in jsonb
 * (22P05). The HTTP layer refuses those before any query; this is the last line behind it, so
 * such input is the caller's 400, never a 500 (nor, behind a gateway, a server "failing").
 *
 * @example
 * ```ts
 * throw new InvalidValueError('grant permission: a value holds a character the database refuses');
 * ```
 */
export class InvalidValueError extends StoreError {
  override readonly name = 'InvalidValueError';
  constructor(message: string, options: StoreErrorOptions = {}) {
    super('invalid_value', message, options);
  }
}

/** SQLSTATEs of values PostgreSQL cannot represent: character_not_in_repertoire, untranslatable_character. */
const INVALID_VALUE_STATES = new Set(['22021', '22P05']);

/** What a fenced write expected and what the database holds instead. */
export interface StaleEpochDetails {
  tankId: string;
  expectedEpoch: number;
  /** The epoch in `tank_locations` now; undefined when the tank has no location any more. */
  actualEpoch?: number;
  /** The server `tank_locations` names now. */
  actualServerId?: string;
}

/**
 * A write carried an epoch that is no longer the tank's: the tank has moved (failover or
 * migration) and the writer must stop it.
 *
 * @example
 * ```ts
 * throw new StaleEpochError({ tankId, expectedEpoch: 3, actualEpoch: 4, actualServerId: 'b' });
 * ```
 */
export class StaleEpochError extends StoreError {
  override readonly name = 'StaleEpochError';
  readonly tankId: string;
  readonly expectedEpoch: number;
  readonly actualEpoch: number | undefined;
  readonly actualServerId: string | undefined;
  constructor(details: StaleEpochDetails, options: StoreErrorOptions = {}) {
    const now =
      details.actualEpoch === undefined
        ? 'it has no location'
        : `it is at epoch ${details.actualEpoch} on ${details.actualServerId}`;
    super(
      'stale_epoch',
      `tank ${details.tankId}: expected epoch ${details.expectedEpoch}, but ${now}`,
      options,
    );
    this.tankId = details.tankId;
    this.expectedEpoch = details.expectedEpoch;
    this.actualEpoch = details.actualEpoch;
    this.actualServerId = details.actualServerId;
  }
}

/**
 * The SQLSTATE of a driver error. Drizzle wraps driver errors in `DrizzleQueryError`, so the code
 * may sit one or more `cause`s deep; postgres.js and PGlite both name it `code`.
 */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Connection-level failures of postgres.js (not SQLSTATEs): the database is unreachable. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * SQLSTATEs of a server going away or not yet back: admin_shutdown, crash_shutdown and
 * cannot_connect_now ("the database system is starting up", answered while a restarted
 * PostgreSQL recovers). A client retrying after them is right; a 500 would not be.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03']);

function isUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Turns anything a query threw into a `StoreError`: store errors pass through, unique violations
 * become `ConflictError`, foreign-key violations `NotFoundError`, a NUL the database refuses
 * `InvalidValueError`, an unreachable database
 * `StoreError('store_unavailable')` (503 with `Retry-After`), anything else `StoreError('store_failed')`; the original is the
 * `cause`.
 *
 * @example
 * ```ts
 * try { await db.insert(tanksTable).values(row); }
 * catch (err) { throw toStoreError(err, `create tank ${row.tankId}`); }
 * ```
 */
export function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const state = sqlState(err);
  if (state === '23505') return new ConflictError(`${what}: already exists`, { cause: err });
  if (state === '23503')
    return new NotFoundError(`${what}: a row it refers to does not exist`, { cause: err });
  if (state !== undefined && INVALID_VALUE_STATES.has(state))
    return new InvalidValueError(`${what}: a value holds a character the database cannot store`, {
      cause: err,
    });
  if (
    isUnavailable(err) ||
    state?.startsWith('08') ||
    (state !== undefined && UNAVAILABLE_STATES.has(state))
  ) {
    return new StoreError('store_unavailable', `${what}: database unavailable`, { cause: err });
  }
  return new StoreError('store_failed', `${what} failed`, { cause: err });
}

/**
 * Runs one query function and converts what it throws with `toStoreError`.
 *
 * @example
 * ```ts
 * return attempt(`get tank ${tankId}`, () => db.select().from(tanksTable));
 * ```
 */
export async function attempt<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toStoreError(err, what);
  }
}
