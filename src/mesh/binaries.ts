/**
 * @module
 * Where the programs the starters run are. Consul and Envoy come from the per-user cache the
 * install scripts fill (`scripts/install-consul.sh`, `scripts/install-envoy.sh`); their pinned
 * versions are read from `scripts/lib.sh`, the one place they are written down. PostgreSQL
 * comes from Debian's versioned folder, which is not on `PATH`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MeshError, MeshErrorCode } from './errors.ts';

/** The versions `scripts/lib.sh` pins. */
export interface PinnedVersions {
  node: string;
  consul: string;
  envoy: string;
  /** SeaweedFS's Go pseudo-version (the S3-compatible store of the backup tests). */
  seaweedfs: string;
  zipkin: string;
}

/** Paths of the programs the starters run. */
export interface MeshBinaries {
  consul: string;
  envoy: string;
  redisServer: string;
  /** Folder holding `initdb` and `postgres`; `undefined` means "look them up on PATH". */
  postgresBinDir: string | undefined;
  /** Debian's `prometheus` (`scripts/install-prometheus.sh`); `promtool` sits beside it. */
  prometheus: string;
  /** The Zipkin server exec jar in the cache (`scripts/install-zipkin.sh`). */
  zipkinJar: string;
}

export interface ResolveBinariesOptions {
  /**
   * Overrides, as in the environment: `TANKWORLD_CONSUL_BIN`, `TANKWORLD_ENVOY_BIN`,
   * `TANKWORLD_REDIS_BIN`, `TANKWORLD_PG_BIN_DIR`, `TANKWORLD_PROMETHEUS_BIN`,
   * `TANKWORLD_ZIPKIN_JAR`, and the cache location (`TANKWORLD_CACHE`,
   * `XDG_CACHE_HOME`, `HOME`) exactly as `scripts/lib.sh` reads them. Pass `process.env` from
   * the entry point; the default (no overrides) gives the standard cache paths.
   */
  env?: Record<string, string | undefined>;
}

const LIB_SH = new URL('../../scripts/lib.sh', import.meta.url);
const DEBIAN_POSTGRES = '/usr/lib/postgresql';

/**
 * Reads the pinned Node, Consul and Envoy versions from `scripts/lib.sh`.
 *
 * @example
 * ```ts
 * pinnedVersions(); // { node: '26.10.0', consul: '1.14.11', envoy: '1.36.4', seaweedfs: '0.0.0-2026…' }
 * ```
 */
export function pinnedVersions(): PinnedVersions {
  const text = readFileSync(LIB_SH, 'utf8');
  const read = (name: string): string => {
    const match = new RegExp(`^${name}_VERSION="([^"]+)"`, 'm').exec(text);
    if (!match)
      throw new MeshError(MeshErrorCode.invalidOption, `scripts/lib.sh does not set ${name}_VERSION`);
    return match[1]!;
  };
  return {
    node: read('NODE'),
    consul: read('CONSUL'),
    envoy: read('ENVOY'),
    zipkin: read('ZIPKIN'),
    seaweedfs: read('SEAWEEDFS'),
  };
}

/**
 * The newest `/usr/lib/postgresql/<major>/bin` that has `initdb`, or `undefined`.
 *
 * @example
 * ```ts
 * findPostgresBinDir(); // '/usr/lib/postgresql/15/bin'
 * ```
 */
export function findPostgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES)) return undefined;
  const majors = readdirSync(DEBIAN_POSTGRES)
    .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const major of majors) {
    const dir = join(DEBIAN_POSTGRES, major, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

/**
 * Resolves every program path: an override from `env` when set, else the pinned cache path.
 *
 * @example
 * ```ts
 * const bins = resolveBinaries({ env: process.env });
 * const consul = await startConsul({ bin: bins.consul });
 * ```
 */
export function resolveBinaries({ env = {} }: ResolveBinariesOptions = {}): MeshBinaries {
  const versions = pinnedVersions();
  const cache =
    env.TANKWORLD_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'tankworld');
  return {
    consul: env.TANKWORLD_CONSUL_BIN || join(cache, `consul-v${versions.consul}`, 'consul'),
    envoy: env.TANKWORLD_ENVOY_BIN || join(cache, `envoy-v${versions.envoy}`, 'envoy'),
    redisServer: env.TANKWORLD_REDIS_BIN || 'redis-server',
    postgresBinDir: env.TANKWORLD_PG_BIN_DIR || findPostgresBinDir(),
    prometheus: env.TANKWORLD_PROMETHEUS_BIN || 'prometheus',
    zipkinJar:
      env.TANKWORLD_ZIPKIN_JAR ||
      join(cache, `zipkin-v${versions.zipkin}`, `zipkin-server-${versions.zipkin}-exec.jar`),
  };
}
