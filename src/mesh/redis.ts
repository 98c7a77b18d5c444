/**
 * @module
 * A throwaway Redis on a free loopback port, without persistence (nothing survives a restart,
 * as with a crashed cache), ready when it answers PING.
 */
import { join } from 'node:path';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePort } from './ports.ts';
import { redisAnswers } from './probes.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

export interface RedisOptions {
  /** Default: a free port. */
  port?: number;
  /** Default: `redis-server` on PATH. */
  bin?: string;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running Redis; see {@link startRedis}. */
export interface RedisHandle extends ServiceControl {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
}

/**
 * Starts `redis-server` on loopback and resolves once it answers PING.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * const client = createClient({ url: redis.url });
 * await redis.kill();
 * await redis.restart();
 * await redis.stop();
 * ```
 */
export async function startRedis({
  port,
  bin = 'redis-server',
  startTimeout = 30_000,
  log = silentLogger,
}: RedisOptions = {}): Promise<RedisHandle> {
  const runDir = await createRunDir({ name: 'redis' });
  const logFile = join(runDir.path, 'redis.log');
  try {
    return await retryOnPortClash(port !== undefined, async () => {
      const listenPort = port ?? (await freePort());
      const control = await startService({
        name: 'redis',
        spawn: () =>
          spawnLogged({
            name: 'redis',
            command: bin,
            args: [
              '--port',
              String(listenPort),
              '--bind',
              '127.0.0.1',
              '--save',
              '',
              '--appendonly',
              'no',
              '--dir',
              runDir.path,
              '--daemonize',
              'no',
              '--logfile',
              '',
            ],
            logFile,
            cwd: runDir.path,
            missingHint: 'install Redis (apt-get install redis-server) or pass bin',
          }),
        ready: (child) => redisAnswers({ port: listenPort, pid: child.pid }),
        stopSignal: 'SIGTERM',
        startTimeout,
        log,
        details: { port: listenPort },
        onStopped: () => runDir.remove(),
      });
      return withControls(control, { url: `redis://127.0.0.1:${listenPort}`, port: listenPort, logFile });
    });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}
