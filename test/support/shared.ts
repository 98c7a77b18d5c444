/**
 * @module
 * Test-file access to the run's shared services: a fresh database per file, a unique Redis key
 * prefix, the Consul agent's address. Each reads what the global setup provided, and throws
 * {@link HarnessUnavailableError} (with the start error) when that service is missing.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createClient } from 'redis';
import { inject } from 'vitest';
import type { Cleanup } from './cleanup.ts';
import type { SharedServiceName } from './context.ts';

/** A shared service the test needs did not start (or the run was not set up by the harness). */
export class HarnessUnavailableError extends Error {
  override name = 'HarnessUnavailableError';
  readonly code = 'harness_unavailable';
  constructor(service: SharedServiceName, reason: string) {
    super(`the shared ${service} is not available: ${reason}`);
  }
}

function shared(service: SharedServiceName, value: string | undefined): string {
  if (value) return value;
  const reason = inject('services')?.errors[service] ?? 'the harness global setup did not run';
  throw new HarnessUnavailableError(service, reason);
}

/** A database of its own on the shared PostgreSQL. */
export interface TestDatabase {
  /** URL of this database (not the server's `postgres` one). */
  readonly url: string;
  readonly name: string;
  /** Drops the database, ending any connection still open to it. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates `tw_<random>` on the shared PostgreSQL, so test files running in parallel never see
 * each other's rows. With `cleanup`, the database is dropped when the cleanup runs.
 *
 * @example
 * ```ts
 * const cleanup = useCleanup();
 * const db = await useDatabase({ cleanup });
 * const sql = postgres(db.url);
 * ```
 */
export async function useDatabase({ cleanup }: { cleanup?: Cleanup } = {}): Promise<TestDatabase> {
  const serverUrl = shared('postgres', inject('services')?.databaseUrl);
  const name = `tw_${randomBytes(6).toString('hex')}`;
  const admin = () => postgres(serverUrl, { max: 1, onnotice: () => {} });
  const sql = admin();
  try {
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let closing: Promise<void> | undefined;
  const database: TestDatabase = {
    url: url.toString(),
    name,
    close() {
      closing ??= (async () => {
        const dropper = admin();
        try {
          // FORCE: a pool the test forgot to end must not keep the database alive.
          await dropper.unsafe(`drop database if exists "${name}" with (force)`);
        } finally {
          await dropper.end({ timeout: 1 });
        }
      })();
      return closing;
    },
  };
  cleanup?.add(database);
  return database;
}

/** A key prefix of its own on the shared Redis. */
export interface TestRedisPrefix {
  readonly url: string;
  /** `tw-test:<random>:`; put every key and channel of the test file under it. */
  readonly prefix: string;
  /** Deletes every key under the prefix. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A unique key prefix on the shared Redis (which all test files share: Redis has no cheap
 * per-file database). With `cleanup`, its keys are deleted when the cleanup runs.
 *
 * @example
 * ```ts
 * const { url, prefix } = await useRedisPrefix({ cleanup: useCleanup() });
 * const realtime = await createRealtime({ redisUrl: url, prefix });
 * ```
 */
export async function useRedisPrefix({ cleanup }: { cleanup?: Cleanup } = {}): Promise<TestRedisPrefix> {
  const url = shared('redis', inject('services')?.redisUrl);
  const prefix = `tw-test:${randomBytes(6).toString('hex')}:`;
  let closing: Promise<void> | undefined;
  const handle: TestRedisPrefix = {
    url,
    prefix,
    close() {
      closing ??= (async () => {
        const client = createClient({ url });
        await client.connect();
        try {
          for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
            if (keys.length > 0) await client.unlink(keys);
          }
        } finally {
          client.destroy();
        }
      })();
      return closing;
    },
  };
  cleanup?.add(handle);
  return handle;
}

/**
 * `host:port` of the shared Consul agent's HTTP API (what `CONSUL_HTTP_ADDR` takes).
 *
 * @example
 * ```ts
 * const res = await fetch(`http://${consulAddr()}/v1/agent/services`);
 * ```
 */
export function consulAddr(): string {
  return shared('consul', inject('services')?.consulHttpAddr);
}

/**
 * `host:port` of the shared Consul agent's plaintext gRPC, for Envoy sidecars.
 *
 * @example
 * ```ts
 * await startEnvoySidecar({ consulHttpAddr: consulAddr(), consulGrpcAddr: consulGrpcAddr(), sidecarFor: 'web-1' });
 * ```
 */
export function consulGrpcAddr(): string {
  return shared('consul', inject('services')?.consulGrpcAddr);
}
