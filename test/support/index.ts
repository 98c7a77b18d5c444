/**
 * @module
 * The test harness: real PostgreSQL, Redis, Consul and Envoy for tests. The global setup
 * (`global-setup.ts`) shares one of each of the first three per run; test files take their own
 * database and key prefix from them, or start their own instances to kill. `DATABASE_URL`,
 * `REDIS_URL` and `CONSUL_HTTP_ADDR` are set for workers too, but the shared PostgreSQL's URL
 * names its `postgres` database: take your own with `useDatabase()`.
 *
 * @example
 * ```ts
 * const cleanup = useCleanup();
 * const db = await useDatabase({ cleanup });
 * it('restarts', async () => {
 *   const redis = await startRedis({ cleanup });
 *   await redis.kill();
 *   await redis.restart();
 * });
 * ```
 */
export type {
  ConsulHandle,
  EnvoySidecarHandle,
  PostgresHandle,
  ProgramHandle,
  RedisHandle,
  ServiceControl,
} from '../../src/mesh/index.ts';
export {
  freePort,
  freePorts,
  livingProcesses,
  processTree,
  StartError,
  WaitTimeoutError,
  waitFor,
} from '../../src/mesh/index.ts';
export { startTcpBalancer, type TcpBalancer, type TcpBalancerOptions } from './balancer.ts';
export { type Cleanup, createCleanup, type Disposable, useCleanup } from './cleanup.ts';
export {
  type ClusterAgent,
  type ClusterAgentPorts,
  type ConsulCluster,
  type ConsulClusterOptions,
  startConsulCluster,
} from './consul-cluster.ts';
export type { SharedServiceName, SharedServices } from './context.ts';
export { type DistributedEnvOptions, distributedEnv } from './distributed-env.ts';
export { createNetns, type Netns, type NetnsLink, type NetnsOptions, netnsUnavailable } from './netns.ts';
export { startTcpRelay, type TcpRelay, type TcpRelayOptions } from './relay.ts';
export {
  consulAddr,
  consulGrpcAddr,
  HarnessUnavailableError,
  type TestDatabase,
  type TestRedisPrefix,
  useDatabase,
  useRedisPrefix,
} from './shared.ts';
export { type EventStream, openEventStream, type SseEvent } from './sse.ts';
export {
  binaries,
  startConsul,
  startEnvoySidecar,
  startPostgres,
  startProgram,
  startRedis,
  startTankworld,
  type TankworldOptions,
  type TestEnvoySidecarOptions,
  type TestProgramOptions,
  type WithCleanup,
} from './starters.ts';
