/**
 * @module
 * A cleanup registry for test files: whatever a test starts or creates is added to it, and one
 * `run()` (from `afterAll` or `onTestFinished`) stops it all, newest first, even when a test
 * failed half-way. Resources go in the order they depend on each other: an Envoy sidecar stops
 * before the Consul agent it talks to.
 */
import { afterAll } from 'vitest';

/**
 * Something a cleanup can undo: a handle with `stop()`, `close()` or `end()` (a postgres.js
 * `sql`), or a plain function.
 */
export type Disposable = (() => unknown) | { stop(): unknown } | { close(): unknown } | { end(): unknown };

export interface Cleanup {
  /** Registers `resource` and returns it unchanged, so it reads `cleanup.add(await start())`. */
  add<T extends Disposable>(resource: T): T;
  /**
   * Undoes everything registered so far, newest first; every step runs even if one fails, and
   * the failures are thrown together at the end. The registry is empty afterwards, so a second
   * call does nothing and the registry can be reused.
   */
  run(): Promise<void>;
}

function dispose(resource: Disposable): unknown {
  // Methods first: a postgres.js `sql` is itself a function (a tagged template), and calling
  // it would run a query rather than end the pool.
  if ('stop' in resource && typeof resource.stop === 'function') return resource.stop();
  if ('close' in resource && typeof resource.close === 'function') return resource.close();
  if ('end' in resource && typeof resource.end === 'function') return resource.end();
  return (resource as () => unknown)();
}

/**
 * A registry to pass to `afterAll`, `afterEach` or `onTestFinished`.
 *
 * @example
 * ```ts
 * it('survives a crash', async ({ onTestFinished }) => {
 *   const cleanup = createCleanup();
 *   onTestFinished(cleanup.run);
 *   const redis = cleanup.add(await startRedis());
 * });
 * ```
 */
export function createCleanup(): Cleanup {
  const resources: Disposable[] = [];
  return {
    add(resource) {
      resources.push(resource);
      return resource;
    },
    async run() {
      const errors: unknown[] = [];
      for (let resource = resources.pop(); resource; resource = resources.pop()) {
        try {
          await dispose(resource);
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanup steps failed`);
    },
  };
}

/**
 * A registry run by `afterAll` of the enclosing suite. Call it at the top level of a test file
 * or of a `describe`, not inside a hook or a test (vitest ignores `afterAll` registered there).
 *
 * @example
 * ```ts
 * const cleanup = useCleanup();
 * const db = await useDatabase({ cleanup });
 * ```
 */
export function useCleanup(): Cleanup {
  const cleanup = createCleanup();
  afterAll(cleanup.run);
  return cleanup;
}
