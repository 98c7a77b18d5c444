/**
 * @module
 * compose.yaml's Prometheus and Zipkin, checked statically: Prometheus reads the configuration
 * `prometheusConfig` writes (HTTP service discovery at the gateway, the project's rules mounted
 * where it names them), `promtool` accepts it with the rules in place, Zipkin is the pinned
 * version, and every app gets a sidecar metrics port and Zipkin's span endpoint.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT, pinnedVersions, prometheusConfig, resolveBinaries } from '../../src/mesh/index.ts';
import { useCleanup } from '../support/index.ts';

const cleanup = useCleanup();

interface ComposeService {
  image?: string;
  command?: string[];
  volumes?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string }>;
}

async function compose(): Promise<{ services: Record<string, ComposeService> }> {
  return parse(await readFile(path.join(PROJECT_ROOT, 'compose.yaml'), 'utf8'), { merge: true });
}

describe('compose.yaml observability', () => {
  it('should run Prometheus on the generated configuration, discovering targets at the gateway', async () => {
    const { services } = await compose();
    const prometheus = services.prometheus!;
    expect(prometheus.image).toBe('prom/prometheus:v2.42.0');
    expect(prometheus.volumes).toContain('./prometheus/compose.yml:/etc/prometheus/prometheus.yml:ro');
    expect(prometheus.volumes).toContain('./prometheus/rules:/etc/prometheus/rules:ro');
    const gatewayIp = services.gateway!.networks!.mesh!.ipv4_address;
    const gatewayPort = services.gateway!.environment!.PORT;
    const onDisk = await readFile(path.join(PROJECT_ROOT, 'prometheus', 'compose.yml'), 'utf8');
    const generated = prometheusConfig({
      targetsUrl: `http://${gatewayIp}:${gatewayPort}/internal/prometheus/targets`,
      rules: ['/etc/prometheus/rules/tankworld.yml'],
      intervalSeconds: 15,
    });
    expect(onDisk.replace(/^#.*\n/, '')).toBe(generated);

    // promtool on the same layout as the container's (/etc/prometheus → a scratch folder).
    const dir = await mkdtemp(path.join(tmpdir(), 'tw-compose-prom-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    await mkdir(path.join(dir, 'rules'));
    await cp(path.join(PROJECT_ROOT, 'prometheus', 'rules'), path.join(dir, 'rules'), { recursive: true });
    await writeFile(path.join(dir, 'prometheus.yml'), onDisk.replaceAll('/etc/prometheus', dir));
    const bin = resolveBinaries({ env: process.env }).prometheus;
    const promtool = bin.includes('/') ? path.join(path.dirname(bin), 'promtool') : 'promtool';
    const { stdout } = await promisify(execFile)(promtool, [
      'check',
      'config',
      path.join(dir, 'prometheus.yml'),
    ]);
    expect(stdout).toContain('SUCCESS: 1 rule files found');
  });

  it('should run the pinned Zipkin, and point every app and its sidecar metrics at the right ports', async () => {
    const { services } = await compose();
    expect(services.zipkin!.image).toBe(`openzipkin/zipkin:${pinnedVersions().zipkin}`);
    expect(services.zipkin!.ports).toEqual(['9411:9411']);
    for (const name of ['gateway', 'server-1', 'server-2', 'server-3']) {
      expect(services[name]!.environment).toMatchObject({
        CONNECT_METRICS_PORT: '9102',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
      });
    }
  });
});
