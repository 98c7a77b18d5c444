/**
 * @module
 * Zipkin (the `io.zipkin:zipkin-server` exec jar, `scripts/install-zipkin.sh`) on Java 17, on a
 * free loopback port, keeping spans in memory: the trace UI of a dev mesh. The apps send their
 * spans to `spansUrl`; the Envoy sidecars too, through Consul's proxy-defaults escape hatches.
 */
import { join } from 'node:path';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePort } from './ports.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

export interface ZipkinOptions {
  /** Path of the exec jar. */
  jar: string;
  /** Default: `java` on PATH. */
  java?: string;
  /** Default: a free port. */
  port?: number;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running Zipkin; see {@link startZipkin}. */
export interface ZipkinHandle extends ServiceControl {
  /** `http://127.0.0.1:<port>`: the UI at `/zipkin/`, the API at `/api/v2`. */
  readonly url: string;
  /** Where spans go (`POST`, Zipkin v2 JSON): `<url>/api/v2/spans`. */
  readonly spansUrl: string;
  readonly port: number;
  readonly logFile: string;
}

/**
 * Starts Zipkin and resolves once `/health` says it is up (~6 s: the JVM).
 *
 * @example
 * ```ts
 * const zipkin = await startZipkin({ jar });
 * console.log(`${zipkin.url}/zipkin/`);
 * ```
 */
export async function startZipkin({
  jar,
  java = 'java',
  port,
  startTimeout = 60_000,
  log = silentLogger,
}: ZipkinOptions): Promise<ZipkinHandle> {
  const runDir = await createRunDir({ name: 'zipkin' });
  const logFile = join(runDir.path, 'zipkin.log');
  try {
    return await retryOnPortClash(port !== undefined, async () => {
      const listenPort = port ?? (await freePort());
      const url = `http://127.0.0.1:${listenPort}`;
      const control = await startService({
        name: 'zipkin',
        spawn: () =>
          spawnLogged({
            name: 'zipkin',
            command: java,
            // A small heap: the in-memory store keeps a dev mesh's spans, not a fleet's.
            args: [
              '-Xms64m',
              '-Xmx256m',
              // C1 only: the JVM starts in about half the time, and a dev Zipkin is never hot.
              '-XX:TieredStopAtLevel=1',
              '-XX:+UseSerialGC',
              '-jar',
              jar,
              `--server.port=${listenPort}`,
              '--server.address=127.0.0.1',
              // The in-memory store keeps 500,000 spans by default, far past what 256 MB holds:
              // once full the JVM did nothing but full GCs (a core of a 2-core machine, measured
              // by `npm run bench tracing`). 20,000 spans are ~1,200 transfers' traces.
              '--zipkin.storage.mem.max-spans=20000',
            ],
            logFile,
            cwd: runDir.path,
            missingHint: 'run scripts/install-zipkin.sh (Zipkin exec jar and Java 17) or pass jar',
          }),
        ready: async () => {
          const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
          return res.ok && ((await res.json()) as { status?: string }).status === 'UP';
        },
        stopSignal: 'SIGTERM',
        startTimeout,
        log,
        details: { port: listenPort },
        onStopped: () => runDir.remove(),
      });
      return withControls(control, { url, spansUrl: `${url}/api/v2/spans`, port: listenPort, logFile });
    });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}
