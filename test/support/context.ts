/**
 * @module
 * What the global setup hands to test files through vitest's `provide`/`inject`: where the
 * shared services of this run are, or why one could not be started.
 */

/** The services one `vitest run` shares. A missing address comes with an entry in `errors`. */
export interface SharedServices {
  /** Server-level URL (database `postgres`); test files take their own database from it. */
  databaseUrl?: string;
  redisUrl?: string;
  /** `host:port` of the Consul agent's HTTP API. */
  consulHttpAddr?: string;
  /** `host:port` of the agent's plaintext gRPC (xDS for Envoy sidecars). */
  consulGrpcAddr?: string;
  /** Why a service is missing, by name, e.g. `{ consul: 'cannot run …/consul: build it with …' }`. */
  errors: Partial<Record<SharedServiceName, string>>;
}

export type SharedServiceName = 'postgres' | 'redis' | 'consul';

declare module 'vitest' {
  export interface ProvidedContext {
    services: SharedServices;
  }
}
