/**
 * @module
 * vitest global setup: one shared PostgreSQL, Redis and Consul agent for the whole run, started
 * in parallel on free ports before any test file (together about half a second here), and
 * stopped when the run ends, pass or fail. `DATABASE_URL`, `REDIS_URL` and `CONSUL_HTTP_ADDR`
 * (with `CONSUL_GRPC_ADDR`) name servers that already run instead. A service that cannot start
 * fails only the tests that ask for it; the reason reaches them through `inject('services')`.
 */
import type { TestProject } from 'vitest/node';
import {
  type ConsulHandle,
  type PostgresHandle,
  type RedisHandle,
  resolveBinaries,
  startConsul,
  startPostgres,
  startRedis,
  sweepStaleRunDirs,
} from '../../src/mesh/index.ts';
import type { SharedServiceName, SharedServices } from './context.ts';

type Started = PostgresHandle | RedisHandle | ConsulHandle;

/** Starts what the environment does not name, provides the addresses, returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const bins = resolveBinaries({ env });
  // Temp dirs of an earlier run that was SIGKILLed (its processes died with it).
  await sweepStaleRunDirs();
  const began = performance.now();
  const timings: string[] = [];
  const timed = async <T>(name: SharedServiceName, start: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const handle = await start();
    timings.push(`${name} ${Math.round(performance.now() - t0)} ms`);
    return handle;
  };

  const [postgres, redis, consul] = await Promise.allSettled([
    env.DATABASE_URL ? undefined : timed('postgres', () => startPostgres({ binDir: bins.postgresBinDir })),
    env.REDIS_URL ? undefined : timed('redis', () => startRedis({ bin: bins.redisServer })),
    env.CONSUL_HTTP_ADDR ? undefined : timed('consul', () => startConsul({ bin: bins.consul })),
  ]);

  const services: SharedServices = { errors: {} };
  const started: Started[] = [];
  const take = <T extends Started>(name: SharedServiceName, result: PromiseSettledResult<T | undefined>) => {
    if (result.status === 'rejected') {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      services.errors[name] = reason;
      console.warn(`[harness] ${name} did not start; tests that need it will fail:\n${reason}`);
      return undefined;
    }
    if (result.value) started.push(result.value);
    return result.value;
  };
  const pg = take('postgres', postgres);
  const rd = take('redis', redis);
  const cs = take('consul', consul);
  services.databaseUrl = pg?.url ?? env.DATABASE_URL;
  services.redisUrl = rd?.url ?? env.REDIS_URL;
  services.consulHttpAddr = cs?.httpAddr ?? env.CONSUL_HTTP_ADDR;
  services.consulGrpcAddr = cs?.grpcAddr ?? env.CONSUL_GRPC_ADDR;
  project.provide('services', services);
  if (timings.length > 0) {
    console.log(
      `[harness] started ${timings.join(', ')} (${Math.round(performance.now() - began)} ms in all)`,
    );
  }

  // Also through the environment: test workers are forked after this and inherit it, and so do
  // the `tankworld server` processes fault tests spawn, which read their config from it.
  const saved = pickEnv(env);
  if (services.databaseUrl) env.DATABASE_URL = services.databaseUrl;
  if (services.redisUrl) env.REDIS_URL = services.redisUrl;
  if (services.consulHttpAddr) env.CONSUL_HTTP_ADDR = services.consulHttpAddr;
  if (services.consulGrpcAddr) env.CONSUL_GRPC_ADDR = services.consulGrpcAddr;

  return async function teardown() {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const results = await Promise.allSettled(started.map((handle) => handle.stop()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((r) => r.reason),
        'harness teardown failed',
      );
  };
}

const SHARED_ENV = ['DATABASE_URL', 'REDIS_URL', 'CONSUL_HTTP_ADDR', 'CONSUL_GRPC_ADDR'] as const;

function pickEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(SHARED_ENV.map((key) => [key, env[key]]));
}
