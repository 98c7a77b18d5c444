/**
 * @module
 * The environment of a `tankworld gateway` or `tankworld server` process in distributed mode on
 * the harness's services: the block every multi-process test would otherwise spell out.
 */

/** Where the process finds its services, and the secret both kinds of token are signed with. */
export interface DistributedEnvOptions {
  consul: { httpAddr: string };
  database: { url: string };
  redis: { url: string };
  /** `INTERNAL_SECRET`, and `JWT_SECRET` unless `userTokens` is `'jwks'`. */
  secret: string;
  /** `'jwks'`: user tokens come from an identity provider, so no `JWT_SECRET` is set. */
  userTokens?: 'secret' | 'jwks';
}

/**
 * `DISTRIBUTED_MODE` on Consul, PostgreSQL and Redis, a 500 ms heartbeat and load report, and
 * warn-level logs; spread it and add what one test changes.
 *
 * @example
 * ```ts
 * const env = { ...distributedEnv({ consul, database, redis, secret: SECRET }), CHECK_TTL: '2s' };
 * await startTankworld({ role: 'gateway', id: 'gw', port, env, cleanup });
 * ```
 */
export function distributedEnv({
  consul,
  database,
  redis,
  secret,
  userTokens = 'secret',
}: DistributedEnvOptions): Record<string, string> {
  return {
    DISTRIBUTED_MODE: 'true',
    DISCOVERY: 'consul',
    CONSUL_HTTP_ADDR: consul.httpAddr,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    ...(userTokens === 'secret' ? { JWT_SECRET: secret } : {}),
    INTERNAL_SECRET: secret,
    HEARTBEAT_MS: '500',
    // Load reports at the heartbeat's rate, as the tests' placement checks expect (the default
    // writes them every 2 s at most, apart from the TTL pass).
    LOAD_REPORT_MS: '500',
    LOG_LEVEL: 'warn',
  };
}
