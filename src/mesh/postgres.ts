/**
 * @module
 * A throwaway PostgreSQL: `initdb` into a temp dir, `postgres` on a free loopback port, ready
 * when it answers `SELECT 1`. As root (CI) both run as the `postgres` user, because initdb
 * refuses root and the data dir must belong to the server's user.
 */
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { findPostgresBinDir } from './binaries.ts';
import { MeshError, MeshErrorCode, StartError } from './errors.ts';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePort } from './ports.ts';
import { postgresAnswers } from './probes.ts';
import { readLogTail, spawnLogged } from './process.ts';
import { createRunDir, type RunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

export interface PostgresOptions {
  /** Cluster folder; initialised when it has no cluster yet, and kept after `stop()`. Default: a temp dir. */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /** Folder with `initdb` and `postgres`. Default: the newest `/usr/lib/postgresql/<major>/bin`, else PATH. */
  binDir?: string;
  /**
   * Keep fsync and full-page writes on. Off by default: throwaway data, faster tests; what is
   * committed still survives `kill()` (only a machine crash could lose it).
   */
  durable?: boolean;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number>;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running PostgreSQL; see {@link startPostgres}. */
export interface PostgresHandle extends ServiceControl {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth on loopback). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Creates database `name` (lower-case letters, digits, `_`) and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

// Safe against a killed server, not against a crashed machine: commits still reach the OS
// before they return (synchronous_commit stays on), so a SIGKILL loses nothing committed.
const SPEED_OVER_DURABILITY = ['fsync=off', 'full_page_writes=off'];
const MISSING_HINT = 'install PostgreSQL (apt-get install postgresql) or pass binDir';
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The uid/gid to run as: the `postgres` user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new MeshError(
      MeshErrorCode.invalidOption,
      'running as root but there is no "postgres" user to run PostgreSQL as (apt-get install postgresql creates it)',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts PostgreSQL on loopback and resolves once it answers queries.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * const url = await pg.createDatabase('tw_test');
 * await pg.kill();      // SIGKILL: queries now fail
 * await pg.restart();   // same port and data: clients reconnect
 * await pg.stop();
 * ```
 */
export async function startPostgres({
  dataDir,
  port,
  binDir = findPostgresBinDir(),
  durable = false,
  settings = {},
  startTimeout = 60_000,
  log = silentLogger,
}: PostgresOptions = {}): Promise<PostgresHandle> {
  const user = serverUser();
  const runDir = await createRunDir({ name: 'postgres', owner: user });
  const logFile = join(runDir.path, 'postgres.log');
  const data = dataDir ?? join(runDir.path, 'data');
  const bin = (name: string): string => (binDir ? join(binDir, name) : name);
  const flags = [
    'listen_addresses=127.0.0.1',
    'max_connections=200',
    ...(durable ? [] : SPEED_OVER_DURABILITY),
    ...Object.entries(settings).map(([name, value]) => `${name}=${value}`),
  ];
  try {
    if (!existsSync(join(data, 'PG_VERSION'))) {
      await initCluster({ data, initdb: bin('initdb'), logFile, runDir, user });
    }
    return await retryOnPortClash(port !== undefined, async () => {
      const listenPort = port ?? (await freePort());
      const url = `postgres://postgres@127.0.0.1:${listenPort}/postgres`;
      const control = await startService({
        name: 'postgres',
        spawn: () =>
          spawnLogged({
            name: 'postgres',
            command: bin('postgres'),
            // The socket goes in our temp dir: the system one (/var/run/postgresql) may not exist.
            args: [
              '-D',
              data,
              '-p',
              String(listenPort),
              '-k',
              runDir.path,
              ...flags.flatMap((f) => ['-c', f]),
            ],
            logFile,
            cwd: runDir.path,
            user,
            missingHint: MISSING_HINT,
          }),
        ready: () => postgresAnswers(url, { dataDir: data }),
        // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
        stopSignal: 'SIGINT',
        startTimeout,
        log,
        details: { port: listenPort, dataDir: data },
        onStopped: () => runDir.remove(),
      });
      return withControls(control, {
        url,
        port: listenPort,
        dataDir: data,
        logFile,
        createDatabase: (name: string) => createDatabase(url, name),
      });
    });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}

/** Runs initdb into `data` (fast flags: trust on loopback, no fsync of the new files). */
async function initCluster({
  data,
  initdb,
  logFile,
  runDir,
  user,
}: {
  data: string;
  initdb: string;
  logFile: string;
  runDir: RunDir;
  user: { uid: number; gid: number } | undefined;
}): Promise<void> {
  mkdirSync(data, { recursive: true, mode: 0o700 });
  if (user) chownSync(data, user.uid, user.gid);
  const child = await spawnLogged({
    name: 'initdb',
    command: initdb,
    args: [
      '-D',
      data,
      '--auth=trust',
      '--no-sync',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-instructions',
    ],
    logFile,
    cwd: runDir.path,
    user,
    missingHint: MISSING_HINT,
  });
  const exit = await child.exited;
  if (exit.code !== 0) {
    throw new StartError('initdb', `exited with code ${exit.code}`, logFile, await readLogTail(logFile));
  }
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!DATABASE_NAME.test(name)) {
    throw new MeshError(MeshErrorCode.invalidOption, `invalid database name ${JSON.stringify(name)}`);
  }
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  return serverUrl.replace(/\/postgres$/, `/${name}`);
}
