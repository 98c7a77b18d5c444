/**
 * @module
 * Tubes between tanks: the shapes every process shares (the `Connection` JSON) and the
 * per-tube rate bound. The sim's mouth decision is in `src/sim`; the moves in `src/server/tubes`.
 */

export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from './bucket.ts';
export { type Connection, ConnectionSchema, connectionView, oppositeMouth } from './connection.ts';
