/**
 * @module
 * Prometheus (Debian's 2.42, `scripts/install-prometheus.sh`) on a free loopback port, scraping
 * what the gateway's HTTP service discovery lists (Debian's build has no Consul discovery), with
 * the project's recording and alert rules (`prometheus/rules/`). Its data lives in a run dir
 * removed on stop: a dev mesh keeps no history.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MeshLogger, silentLogger } from './logger.ts';
import { PROJECT_ROOT } from './mesh-app.ts';
import { freePort } from './ports.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

/** The project's rule files, loaded by every Prometheus it starts (and by compose's). */
export const PROMETHEUS_RULES = join(PROJECT_ROOT, 'prometheus', 'rules', 'tankworld.yml');

export interface PrometheusOptions {
  /** The gateway's `/internal/prometheus/targets` URL. */
  targetsUrl: string;
  /** Default: `prometheus` on PATH. */
  bin?: string;
  /** Default: a free port. */
  port?: number;
  /** Scrape and rule interval; 5 s by default, so a dev mesh shows changes quickly. */
  intervalSeconds?: number;
  startTimeout?: number;
  log?: MeshLogger;
}

/** A running Prometheus; see {@link startPrometheus}. */
export interface PrometheusHandle extends ServiceControl {
  /** `http://127.0.0.1:<port>`: the UI at `/classic/` (Debian packages only that one), the API at `/api/v1`. */
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly logFile: string;
}

/**
 * The configuration: one job whose targets come from `targetsUrl`; each target's own `job`
 * label (tank-gateway, tank-server, envoy) replaces the job name.
 *
 * @example
 * ```ts
 * await writeFile('prometheus.yml', prometheusConfig({ targetsUrl: 'http://gateway:8080/internal/prometheus/targets', rules: ['/etc/prometheus/rules/tankworld.yml'] }));
 * ```
 */
export function prometheusConfig({
  targetsUrl,
  rules,
  intervalSeconds = 5,
}: {
  targetsUrl: string;
  rules: string[];
  intervalSeconds?: number;
}): string {
  return [
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    'rule_files:',
    ...rules.map((r) => `  - ${JSON.stringify(r)}`),
    'scrape_configs:',
    '  - job_name: tankworld',
    '    http_sd_configs:',
    `      - url: ${JSON.stringify(targetsUrl)}`,
    `        refresh_interval: ${intervalSeconds}s`,
    '',
  ].join('\n');
}

/**
 * Starts Prometheus and resolves once it is ready and it is ours that answers (its flags name
 * this run's config file).
 *
 * @example
 * ```ts
 * const prometheus = await startPrometheus({ targetsUrl: `${gateway.url}/internal/prometheus/targets` });
 * console.log(`${prometheus.url}/targets`);
 * ```
 */
export async function startPrometheus({
  targetsUrl,
  bin = 'prometheus',
  port,
  intervalSeconds = 5,
  startTimeout = 30_000,
  log = silentLogger,
}: PrometheusOptions): Promise<PrometheusHandle> {
  const runDir = await createRunDir({ name: 'prometheus' });
  const logFile = join(runDir.path, 'prometheus.log');
  const configFile = join(runDir.path, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig({ targetsUrl, rules: [PROMETHEUS_RULES], intervalSeconds }));
  try {
    return await retryOnPortClash(port !== undefined, async () => {
      const listenPort = port ?? (await freePort());
      const url = `http://127.0.0.1:${listenPort}`;
      const control = await startService({
        name: 'prometheus',
        spawn: () =>
          spawnLogged({
            name: 'prometheus',
            command: bin,
            args: [
              `--config.file=${configFile}`,
              `--storage.tsdb.path=${join(runDir.path, 'data')}`,
              `--web.listen-address=127.0.0.1:${listenPort}`,
            ],
            logFile,
            cwd: runDir.path,
            missingHint: 'run scripts/install-prometheus.sh (Debian package prometheus) or pass bin',
          }),
        ready: async () => {
          const res = await fetch(`${url}/api/v1/status/flags`, { signal: AbortSignal.timeout(2000) });
          const body = (await res.json()) as { data?: Record<string, string> };
          return res.ok && body.data?.['config.file'] === configFile;
        },
        stopSignal: 'SIGTERM',
        startTimeout,
        log,
        details: { port: listenPort },
        onStopped: () => runDir.remove(),
      });
      return withControls(control, { url, port: listenPort, configFile, logFile });
    });
  } catch (err) {
    await runDir.remove();
    throw err;
  }
}
