/**
 * @module
 * The deployment files, checked as far as this machine allows: the config entries in consul/
 * and k8s/ are the ones the code generates; compose pairs every app with a sidecar in its
 * network namespace; a real compose implementation (`docker-compose config`), shellcheck and
 * the Kubernetes JSON schemas (kubernetes-validate) accept them and reject a broken copy, when
 * those tools are installed (scripts/install-checkers.sh). The consul/ apply script and the
 * sidecar image's entrypoint run for real here, against a Consul agent with the pinned Envoy.
 * Docker images, `compose up` and a Kubernetes cluster are not run here.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configEnvNames, loadGatewayConfig, loadServerConfig, secretFileEnvNames } from '../../src/config.ts';
import { configEntryFileName, meshConfigEntries, PROJECT_ROOT } from '../../src/mesh/index.ts';
import { binaries, freePorts, startConsul, startProgram, useCleanup } from '../support/index.ts';

const cleanup = useCleanup();
const run = promisify(execFile);
const at = (...parts: string[]) => path.join(PROJECT_ROOT, ...parts);

function findTool(name: string): string | undefined {
  const cache = process.env.TANKWORLD_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache/tankworld');
  const dirs = [...(process.env.PATH ?? '').split(':'), path.join(cache, 'checkers-venv/bin')];
  return dirs.map((d) => path.join(d, name)).find((p) => existsSync(p));
}

/** Exit status and output of a command; a non-zero exit is a result here, not a throw. */
async function status(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: PROJECT_ROOT, env: env ?? process.env });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function scratch(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-deploy-'));
  cleanup.add(() => run('rm', ['-rf', dir]));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const shellScripts = [
  ...readdirSync(at('scripts'))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => at('scripts', f)),
  at('consul/apply-config-entries.sh'),
  at('envoy/entrypoint.sh'),
];
const compose = parse(readFileSync(at('compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;
};

describe('config entries on disk', () => {
  it('should be what meshConfigEntries generates, for compose and for Kubernetes', () => {
    const expected = (ids: string[]) =>
      Object.fromEntries(meshConfigEntries({ serverIds: ids }).map((e, i) => [configEntryFileName(e, i), e]));
    const dir = at('consul/config-entries');
    const onDisk = Object.fromEntries(
      readdirSync(dir).map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), 'utf8'))]),
    );
    expect(onDisk).toEqual(expected(['server-1', 'server-2', 'server-3']));

    const docs = parseAllDocuments(readFileSync(at('k8s/consul-config.yaml'), 'utf8')).map((d) => d.toJS());
    const map = docs.find((d) => d.kind === 'ConfigMap');
    const k8sEntries = Object.fromEntries(
      Object.entries(map.data as Record<string, string>).map(([f, t]) => [f, JSON.parse(t)]),
    );
    expect(k8sEntries).toEqual(expected(['tank-server-0', 'tank-server-1', 'tank-server-2']));

    const scripts = parse(readFileSync(at('k8s/consul-scripts.yaml'), 'utf8'));
    expect(scripts.data['apply-config-entries.sh']).toBe(
      readFileSync(at('consul/apply-config-entries.sh'), 'utf8'),
    );
  });

  it('should be written by consul/apply-config-entries.sh into a real agent', async () => {
    const consul = await startConsul({ cleanup });
    const env = { ...process.env, CONSUL_BIN: binaries().consul, CONSUL_HTTP_ADDR: consul.httpAddr };
    const result = await status('bash', [at('consul/apply-config-entries.sh')], env);
    expect(result.out).toContain('7 entries written');
    expect(result.code).toBe(0);
    for (const entry of meshConfigEntries({ serverIds: ['server-1', 'server-2', 'server-3'] })) {
      const res = await fetch(`${consul.url}/v1/config/${entry.Kind}/${encodeURIComponent(entry.Name)}`);
      expect(await res.json()).toMatchObject(entry);
    }
    expect((await status(binaries().consul, ['validate', at('consul/server.hcl')])).code).toBe(0);
  });
});

describe('compose.yaml', () => {
  it('should give every app a sidecar in its network namespace, for the server ids the routing knows', () => {
    const apps = Object.entries(compose.services).filter(([, s]) => {
      const command = s.command as string[] | undefined;
      return command?.[0] === 'server' || command?.[0] === 'gateway';
    });
    expect(apps.map(([name]) => name).sort()).toEqual(['gateway', 'server-1', 'server-2', 'server-3']);
    for (const [name, app] of apps) {
      const sidecar = compose.services[`${name}-sidecar`]!;
      expect(sidecar.network_mode).toBe(`service:${name}`);
      const id = app.environment!.SERVER_ID ?? app.environment!.GATEWAY_ID;
      expect(sidecar.environment!.SIDECAR_FOR).toBe(id);
      expect(app.environment!.CONNECT_SIDECAR_PORT).toBe('21000');
      expect(app.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'consul-config': { condition: 'service_completed_successfully' },
      });
    }
    const published = Object.values(compose.services).flatMap((s) => (s.ports as string[] | undefined) ?? []);
    expect(published.sort()).toEqual(['8001:8001', '8002:8002', '8003:8003', '8080:8080', '8500:8500']);
  });

  it('should list every environment variable src/config.ts reads in the README', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Figures'));
    // The `<NAME>_FILE` variants of the secrets are one rule, not one row each; they are
    // checked in test/config/secret-files.test.ts.
    const fileNames = new Set(secretFileEnvNames());
    expect(
      configEnvNames().filter((name) => !fileNames.has(name) && !section.includes(`\`${name}\``)),
    ).toEqual([]);
  });

  it('should give the apps only environment variables that src/config.ts reads, with their meaning', () => {
    const known = new Set(configEnvNames());
    const gateway = compose.services.gateway!.environment!;
    for (const [name, app] of Object.entries(compose.services).filter(([n]) =>
      /^(gateway|server-\d)$/.test(n),
    ))
      expect(
        Object.keys(app.environment!).filter((key) => !known.has(key)),
        name,
      ).toEqual([]);
    expect(loadGatewayConfig([], gateway)).toMatchObject({
      gatewayId: 'gateway-1',
      port: 8080,
      distributed: true,
      connectSidecarPort: 21000,
      connectUpstreamPort: 15001,
    });
    expect(loadServerConfig([], compose.services['server-2']!.environment!)).toMatchObject({
      serverId: 'server-2',
      port: 8002,
      connectUpstreamPort: 15001,
    });
    // Kubernetes: the app containers' env and the ConfigMap/Secret they load.
    const k8sNames = ['config.yaml', 'gateway.yaml', 'tank-server.yaml'].flatMap((file) =>
      parseAllDocuments(readFileSync(at('k8s', file), 'utf8')).flatMap((doc) => {
        const m = doc.toJS() as {
          kind: string;
          data?: Record<string, string>;
          stringData?: Record<string, string>;
          spec?: {
            template?: { spec?: { containers?: Array<{ name: string; env?: Array<{ name: string }> }> } };
          };
        };
        if (m.kind === 'ConfigMap' || m.kind === 'Secret') return Object.keys({ ...m.data, ...m.stringData });
        const apps = (m.spec?.template?.spec?.containers ?? []).filter((c) => c.name !== 'envoy-sidecar');
        // POD_NAME, POD_IP and HOST_IP feed $(…) expansions of the others.
        return apps
          .flatMap((c) => (c.env ?? []).map((e) => e.name))
          .filter((n) => !/^(POD_NAME|POD_IP|HOST_IP)$/.test(n));
      }),
    );
    expect(k8sNames).toContain('GATEWAY_ID');
    expect(k8sNames).toContain('SERVER_ID');
    expect(k8sNames.filter((key) => !known.has(key))).toEqual([]);
  });

  const dockerCompose = findTool('docker-compose');
  it.skipIf(!dockerCompose)('should pass docker-compose config, and a broken copy should not', async () => {
    const good = await status(dockerCompose!, ['-f', at('compose.yaml'), 'config', '-q']);
    expect(good.out).toBe('');
    expect(good.code).toBe(0);
    const text = readFileSync(at('compose.yaml'), 'utf8').replace(
      'network_mode: service:server-2',
      'network_mode: [oops]',
    );
    const broken = scratch('compose.yaml', text);
    expect(
      (await status(dockerCompose!, ['-f', broken, '--project-directory', PROJECT_ROOT, 'config', '-q']))
        .code,
    ).not.toBe(0);
  });
});

describe('shell scripts and Kubernetes manifests', () => {
  const shellcheck = findTool('shellcheck');
  it.skipIf(!shellcheck)('should pass shellcheck, every script', async () => {
    const result = await status(shellcheck!, ['-x', ...shellScripts]);
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
    const sloppy = scratch('sloppy.sh', '#!/usr/bin/env bash\nrm -rf $1/*\n');
    expect((await status(shellcheck!, [sloppy])).code).not.toBe(0);
  });

  const validator = findTool('kubernetes-validate');
  it.skipIf(!validator)(
    'should pass the Kubernetes JSON schemas (strict), and a broken manifest should not',
    async () => {
      const manifests = readdirSync(at('k8s'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => at('k8s', f));
      expect(manifests.length).toBeGreaterThanOrEqual(7);
      const result = await status(validator!, ['--strict', '--quiet', ...manifests]);
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
      const text = readFileSync(at('k8s/tank-server.yaml'), 'utf8').replace('replicas: 3', 'replicas: three');
      expect((await status(validator!, ['--strict', '--quiet', scratch('bad.yaml', text)])).code).not.toBe(0);
    },
  );
});

describe('the sidecar image entrypoint, run here', () => {
  it('should wait for the registration, then start a LIVE Envoy through consul connect envoy', async () => {
    const consul = await startConsul({ cleanup });
    const { consul: consulBin, envoy: envoyBin } = binaries();
    const id = `web-${randomBytes(3).toString('hex')}`;
    const [appPort, sidecarPort, adminPort] = await freePorts(3);
    const admin = `http://127.0.0.1:${adminPort}`;
    const tmp = mkdtempSync(path.join(tmpdir(), 'tw-entrypoint-'));
    cleanup.add(() => run('rm', ['-rf', tmp]));
    const starting = startProgram({
      name: 'entrypoint',
      command: 'bash',
      args: [at('envoy/entrypoint.sh')],
      env: {
        // The image has `consul` and `envoy` on PATH; here they come from the per-user cache.
        PATH: `${path.dirname(consulBin)}:${path.dirname(envoyBin)}:${process.env.PATH}`,
        SIDECAR_FOR: id,
        CONSUL_HTTP_ADDR: consul.httpAddr,
        CONSUL_GRPC_ADDR: consul.grpcAddr,
        ENVOY_ADMIN_BIND: `127.0.0.1:${adminPort}`,
        TMPDIR: tmp,
      },
      ready: async () => (await (await fetch(`${admin}/ready`)).text()).trim() === 'LIVE',
      startTimeout: 30_000,
      cleanup,
    });
    // The service is not registered yet: the entrypoint must wait (no Envoy admin answering).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sawWaiting = await fetch(`${admin}/ready`).then(
      () => false,
      () => true,
    );
    const res = await fetch(`${consul.url}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Name: 'web',
        ID: id,
        Address: '127.0.0.1',
        Port: appPort,
        Connect: { SidecarService: { Port: sidecarPort, Proxy: { Config: { bind_address: '127.0.0.1' } } } },
      }),
    });
    expect(res.status).toBe(200);
    const sidecar = await starting;
    expect(sawWaiting).toBe(true);
    const listeners = await (await fetch(`${admin}/listeners`)).text();
    expect(listeners).toContain(`public_listener:127.0.0.1:${sidecarPort}`);
    await sidecar.stop();
  });
});
