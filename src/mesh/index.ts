/**
 * @module
 * Starters for real PostgreSQL, Redis, Consul and Envoy processes on free loopback ports, with
 * readiness checks and kill/restart/stop. The test harness (`test/support/`) and `tankworld
 * mesh up` both use these, so the code that runs the mesh exists once.
 */
export {
  type AclCallOptions,
  aclAgentConfig,
  createServiceToken,
  type ServiceTokenOptions,
  setAgentToken,
} from './acl.ts';
export {
  findPostgresBinDir,
  type MeshBinaries,
  type PinnedVersions,
  pinnedVersions,
  type ResolveBinariesOptions,
  resolveBinaries,
} from './binaries.ts';
export {
  type ApplyConfigEntriesOptions,
  applyConfigEntries,
  type ConfigEntry,
  configEntryFileName,
  deleteConfigEntries,
  MeshService,
  meshConfigEntries,
  subsetName,
  TANK_SERVER_HEADER,
} from './config-entries.ts';
export { type ConsulHandle, type ConsulOptions, type ConsulPorts, startConsul } from './consul.ts';
export { type EnvoySidecarHandle, type EnvoySidecarOptions, startEnvoySidecar } from './envoy.ts';
export { BinaryNotFoundError, MeshError, MeshErrorCode, StartError, WaitTimeoutError } from './errors.ts';
export { type MeshLogger, silentLogger } from './logger.ts';
export { type MeshApp, type MeshAppOptions, PROJECT_ROOT, startMeshApp } from './mesh-app.ts';
export { passingServerIds } from './mesh-ready.ts';
export { type NativeMesh, type NativeMeshOptions, startNativeMesh } from './native-mesh.ts';
export { type FreePortsOptions, freePort, freePorts } from './ports.ts';
export { type PostgresHandle, type PostgresOptions, startPostgres } from './postgres.ts';
export { consulHasLeader, envoyIsLive, postgresAnswers, redisAnswers } from './probes.ts';
export { livingProcesses, processTree } from './process-tree.ts';
export { type ProgramHandle, type ProgramOptions, startProgram } from './program.ts';
export {
  PROMETHEUS_RULES,
  type PrometheusHandle,
  type PrometheusOptions,
  prometheusConfig,
  startPrometheus,
} from './prometheus.ts';
export { type RedisHandle, type RedisOptions, startRedis } from './redis.ts';
export { createRunDir, type RunDir, sweepStaleRunDirs } from './run-dir.ts';
export type { ServiceControl } from './service.ts';
export { type WaitForOptions, waitFor } from './wait.ts';
export { startZipkin, type ZipkinHandle, type ZipkinOptions } from './zipkin.ts';
