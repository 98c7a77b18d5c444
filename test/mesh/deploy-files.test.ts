/**
 * @module
 * The deployment files, checked as far as this machine allows: the config entries in consul/
 * and k8s/ are the ones the code generates; compose pairs every app with a sidecar in its
 * network namespace; a real compose implementation (`docker-compose config`), shellcheck and
 * the Kubernetes JSON schemas (kubernetes-validate) accept them and reject a broken copy, when
 * those tools are installed (scripts/install-checkers.sh). No deploy file carries a secret or
 * falls back to a built-in one: compose mounts the files scripts/compose-secrets.sh makes and
 * the apps read them through `<NAME>_FILE`; Kubernetes mounts Secrets the operator creates.
 * The consul/ scripts (ACL tokens, config entries) and the sidecar image's entrypoint run for
 * real here, against a Consul agent (with default-deny ACLs as compose runs it) and the pinned
 * Envoy. Docker images, `compose up` and a Kubernetes cluster are not run here.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configEnvNames, loadGatewayConfig, loadServerConfig, secretFileEnvNames } from '../../src/config.ts';
import {
  configEntryFileName,
  createServiceToken,
  meshConfigEntries,
  PROJECT_ROOT,
} from '../../src/mesh/index.ts';
import { binaries, freePorts, startConsul, startProgram, useCleanup } from '../support/index.ts';

const cleanup = useCleanup();
const run = promisify(execFile);
const at = (...parts: string[]) => path.join(PROJECT_ROOT, ...parts);

/**
 * A checker's path. Skipped on a developer's machine without it; required in CI (`CI` set),
 * where `.ci/run` installs them first (scripts/install-checkers.sh).
 */
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
  at('consul/create-acl-tokens.sh'),
  at('envoy/entrypoint.sh'),
  at('.ci/run'),
];
type ServiceSecret = string | { source: string; target?: string };
const compose = parse(readFileSync(at('compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    Record<string, unknown> & { environment?: Record<string, string>; secrets?: ServiceSecret[] }
  >;
  secrets: Record<string, { file: string }>;
};

/** Where a service's secrets appear in its containers: `/run/secrets/<target>` → secret name. */
function mountedSecrets(service: { secrets?: ServiceSecret[] }): Map<string, string> {
  return new Map(
    (service.secrets ?? []).map((s) =>
      typeof s === 'string' ? [`/run/secrets/${s}`, s] : [`/run/secrets/${s.target ?? s.source}`, s.source],
    ),
  );
}

/** Runs scripts/compose-secrets.sh into a scratch folder; returns that folder. */
async function composeSecrets(): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'tw-compose-secrets-')), 'secrets');
  cleanup.add(() => run('rm', ['-rf', path.dirname(dir)]));
  const result = await status('bash', [at('scripts/compose-secrets.sh'), dir]);
  expect(result.code, result.out).toBe(0);
  return dir;
}

/** A compose service's environment with each `/run/secrets/…` path replaced by the host file. */
function onHost(name: string, secretsDir: string): Record<string, string> {
  const service = compose.services[name]!;
  const mounted = mountedSecrets(service);
  return Object.fromEntries(
    Object.entries(service.environment!).map(([key, value]) => {
      const secret = mounted.get(value);
      return [key, secret ? path.join(secretsDir, path.basename(compose.secrets[secret]!.file)) : value];
    }),
  );
}

/** The secret settings and what else carries a password (postgres), by name. */
const SECRET_NAMES = ['JWT_SECRET', 'INTERNAL_SECRET', 'CONSUL_HTTP_TOKEN', 'DATABASE_URL', 'REDIS_URL'];

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
    expect(scripts.data).toEqual({
      'apply-config-entries.sh': readFileSync(at('consul/apply-config-entries.sh'), 'utf8'),
      'create-acl-tokens.sh': readFileSync(at('consul/create-acl-tokens.sh'), 'utf8'),
    });
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

  it("should, with compose's secrets on a default-deny agent, create each role's token once and write the entries only as the operator", async () => {
    const secrets = await composeSecrets();
    const read = (name: string) => readFileSync(path.join(secrets, name), 'utf8').trim();
    // server.hcl plus the generated ACL file is a valid agent configuration.
    const valid = await status(binaries().consul, [
      'validate',
      at('consul/server.hcl'),
      path.join(secrets, 'consul_acl.hcl'),
    ]);
    expect(valid.code, valid.out).toBe(0);
    const consul = await startConsul({ cleanup, acl: { managementToken: read('consul_operator_token') } });
    const base = { ...process.env, CONSUL_BIN: binaries().consul, CONSUL_HTTP_ADDR: consul.httpAddr };
    const operator = { ...base, CONSUL_HTTP_TOKEN_FILE: path.join(secrets, 'consul_operator_token') };
    const specs = [
      `service:tank-server=${path.join(secrets, 'consul_server_token')}`,
      `service:tank-gateway=${path.join(secrets, 'consul_gateway_token')}`,
      `node:${consul.ports.http}-node=${path.join(secrets, 'consul_agent_token')}`,
    ];
    const created = await status('bash', [at('consul/create-acl-tokens.sh'), ...specs], operator);
    expect(created.code, created.out).toBe(0);
    expect(created.out.match(/: created/g)).toHaveLength(3);
    const again = await status('bash', [at('consul/create-acl-tokens.sh'), ...specs], operator);
    expect(again.out.match(/: kept/g), again.out).toHaveLength(3);
    // No secret on a command line: the script hands curl files.
    expect(readFileSync(at('consul/create-acl-tokens.sh'), 'utf8')).not.toMatch(/-H "X-Consul-Token: \$/);

    const asToken = (token: string | undefined, p: string, init: RequestInit = {}) =>
      fetch(`${consul.url}${p}`, { ...init, headers: token ? { 'x-consul-token': token } : {} });
    const self = (await (await asToken(read('consul_server_token'), '/v1/acl/token/self')).json()) as {
      ServiceIdentities: unknown;
    };
    expect(self.ServiceIdentities).toEqual([{ ServiceName: 'tank-server' }]);
    // Without the operator token nothing is written; an app's token is refused intentions.
    const anonymous = await status('bash', [at('consul/apply-config-entries.sh')], base);
    expect(anonymous.out).toContain(
      "refused by Consul's ACLs; set CONSUL_HTTP_TOKEN_FILE to the operator token",
    );
    expect(anonymous.code).not.toBe(0);
    const deny = JSON.stringify({
      Kind: 'service-intentions',
      Name: '*',
      Sources: [{ Name: '*', Action: 'allow' }],
    });
    for (const token of [read('consul_server_token'), read('consul_gateway_token'), undefined])
      expect((await asToken(token, '/v1/config', { method: 'PUT', body: deny })).status).toBe(403);
    const applied = await status('bash', [at('consul/apply-config-entries.sh')], operator);
    expect(applied.out).toContain('7 entries written');
    expect(applied.code).toBe(0);
    const stored = await asToken(read('consul_operator_token'), '/v1/config/service-intentions/tank-server');
    expect(stored.status).toBe(200);
    expect((await asToken(undefined, '/v1/config/service-intentions/tank-server')).status).toBe(403);
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
    expect(published.sort()).toEqual([
      '8001:8001',
      '8002:8002',
      '8003:8003',
      '8080:8080',
      '8500:8500',
      '9090:9090',
      '9411:9411',
    ]);
  });

  it('should carry no secret and fall back to none: every secret is a file from scripts/compose-secrets.sh', async () => {
    const text = readFileSync(at('compose.yaml'), 'utf8');
    // No `${VAR:-default}` (nor `${VAR-default}`) anywhere: a missing value must stop compose.
    expect(text.match(/\$\{[A-Za-z_]+:?-/g)).toBeNull();
    const secretsDir = await composeSecrets();
    for (const [name, secret] of Object.entries(compose.secrets)) {
      expect(secret.file, name).toMatch(/^\.\/secrets\/[\w.]+$/);
      expect(
        existsSync(path.join(secretsDir, path.basename(secret.file))),
        `${name} made by the script`,
      ).toBe(true);
    }
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment ?? {};
      const mounted = mountedSecrets(service);
      // A secret is never a value in the environment, only the path of its file.
      for (const key of [...SECRET_NAMES, 'POSTGRES_PASSWORD'])
        expect(env[key], `${name}: ${key} in the environment`).toBeUndefined();
      for (const [key, value] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
        expect(mounted.has(value), `${name}: ${key}=${value} is a secret it mounts`).toBe(true);
      }
      for (const secret of mounted.values())
        expect(compose.secrets[secret], `${name}: ${secret}`).toBeDefined();
    }
    // Each app and its sidecar share the app's role token; roles do not share tokens.
    for (const app of ['gateway', 'server-1', 'server-2', 'server-3']) {
      const token = compose.services[app]!.environment!.CONSUL_HTTP_TOKEN_FILE;
      expect(token).toBe(
        app === 'gateway' ? '/run/secrets/consul_gateway_token' : '/run/secrets/consul_server_token',
      );
      expect(compose.services[`${app}-sidecar`]!.environment!.CONSUL_HTTP_TOKEN_FILE).toBe(token);
      expect(mountedSecrets(compose.services[`${app}-sidecar`]!).has(token!)).toBe(true);
    }
    // The apps read them as compose mounts them: the URLs carry the generated passwords.
    const server = loadServerConfig([], onHost('server-1', secretsDir));
    const password = readFileSync(path.join(secretsDir, 'postgres_password'), 'utf8').trim();
    expect(server.databaseUrl).toBe(`postgres://tankworld:${password}@postgres:5432/tankworld`);
    expect(server.redisUrl).toMatch(/^redis:\/\/:[0-9a-f]{64}@redis:6379$/);
    expect(server.consulToken).toBe(
      readFileSync(path.join(secretsDir, 'consul_server_token'), 'utf8').trim(),
    );
    expect(server.jwtSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(loadGatewayConfig([], onHost('gateway', secretsDir)).consulToken).toBe(
      readFileSync(path.join(secretsDir, 'consul_gateway_token'), 'utf8').trim(),
    );
    expect(readFileSync(path.join(secretsDir, 'redis.conf'), 'utf8')).toContain(
      `requirepass ${readFileSync(path.join(secretsDir, 'redis_password'), 'utf8').trim()}`,
    );
    // A second run keeps every file as it is.
    const before = Object.fromEntries(
      readdirSync(secretsDir).map((f) => [f, readFileSync(path.join(secretsDir, f), 'utf8')]),
    );
    await status('bash', [at('scripts/compose-secrets.sh'), secretsDir]);
    expect(
      Object.fromEntries(
        readdirSync(secretsDir).map((f) => [f, readFileSync(path.join(secretsDir, f), 'utf8')]),
      ),
    ).toEqual(before);
  });

  it('should list every environment variable src/config.ts reads in the README', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Figures'));
    // The `<NAME>_FILE` variants of the secrets are one rule, not one row each (checked in
    // test/config/secret-files.test.ts); the README states the rule.
    const fileForms = new Set(secretFileEnvNames());
    expect(
      configEnvNames().filter((name) => !fileForms.has(name) && !section.includes(`\`${name}\``)),
    ).toEqual([]);
    expect(section).toContain('`<NAME>_FILE=');
  });

  it('should give the apps only environment variables that src/config.ts reads, with their meaning', async () => {
    const known = new Set(configEnvNames());
    for (const [name, app] of Object.entries(compose.services).filter(([n]) =>
      /^(gateway|server-\d)$/.test(n),
    ))
      expect(
        Object.keys(app.environment!).filter((key) => !known.has(key)),
        name,
      ).toEqual([]);
    expect(loadGatewayConfig([], onHost('gateway', await composeSecrets()))).toMatchObject({
      gatewayId: 'gateway-1',
      port: 8080,
      distributed: true,
      connectSidecarPort: 21000,
      connectUpstreamPort: 15001,
    });
    expect(loadServerConfig([], onHost('server-2', await composeSecrets()))).toMatchObject({
      serverId: 'server-2',
      port: 8002,
      connectLocalPort: 8101,
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

  it('should, on Kubernetes, ship no Secret and have every container read its secrets from mounted Secret files', () => {
    type Container = {
      name: string;
      env?: Array<{ name: string; value?: string }>;
      envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
      volumeMounts?: Array<{ name: string; mountPath: string }>;
    };
    type Manifest = {
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
      spec?: {
        template?: {
          spec?: { containers?: Container[]; volumes?: Array<{ name: string; secret?: unknown }> };
        };
      };
    };
    const manifests = readdirSync(at('k8s'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(at('k8s', f), 'utf8')).map((d) => d.toJS() as Manifest));
    expect(manifests.filter((m) => m.kind === 'Secret').map((m) => m.metadata.name)).toEqual([]);
    const configMaps = new Map(
      manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data!]),
    );
    let checked = 0;
    for (const m of manifests) {
      const pod = m.spec?.template?.spec;
      for (const c of pod?.containers ?? []) {
        const where = `${m.metadata.name}/${c.name}`;
        expect(c.envFrom?.filter((e) => e.secretRef) ?? [], where).toEqual([]);
        const env: Record<string, string> = {};
        for (const from of c.envFrom ?? []) Object.assign(env, configMaps.get(from.configMapRef!.name));
        for (const e of c.env ?? []) env[e.name] = e.value ?? '';
        for (const key of SECRET_NAMES) expect(env[key], `${where}: ${key}`).toBeUndefined();
        const secretMounts = (c.volumeMounts ?? []).filter(
          (v) => pod!.volumes!.find((vol) => vol.name === v.name)?.secret,
        );
        for (const [key, file] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
          checked++;
          expect(
            secretMounts.some((v) => file.startsWith(`${v.mountPath}/`)),
            `${where}: ${key}=${file} under a mounted Secret`,
          ).toBe(true);
        }
      }
    }
    // Apps (4 secrets and a token, two workloads), sidecars (token), migrate (database).
    expect(checked).toBe(2 * 5 + 2 + 1 + 1);
  });

  const dockerCompose = findTool('docker-compose');
  it.skipIf(!dockerCompose && !process.env.CI)(
    'should pass docker-compose config, and a broken copy should not',
    async () => {
      expect(dockerCompose, 'docker-compose: run scripts/install-checkers.sh').toBeDefined();
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
    },
  );
});

describe('shell scripts and Kubernetes manifests', () => {
  const shellcheck = findTool('shellcheck');
  it.skipIf(!shellcheck && !process.env.CI)('should pass shellcheck, every script', async () => {
    expect(shellcheck, 'shellcheck: run scripts/install-checkers.sh').toBeDefined();
    const result = await status(shellcheck!, ['-x', ...shellScripts]);
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
    const sloppy = scratch('sloppy.sh', '#!/usr/bin/env bash\nrm -rf $1/*\n');
    expect((await status(shellcheck!, [sloppy])).code).not.toBe(0);
  });

  const validator = findTool('kubernetes-validate');
  it.skipIf(!validator && !process.env.CI)(
    'should pass the Kubernetes JSON schemas (strict), and a broken manifest should not',
    async () => {
      expect(validator, 'kubernetes-validate: run scripts/install-checkers.sh').toBeDefined();
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
  /**
   * Runs envoy/entrypoint.sh for a service registered only after it started; with `acl`, on a
   * default-deny agent, the service's token given as a file (CONSUL_HTTP_TOKEN_FILE) as compose
   * and Kubernetes give it.
   */
  async function entrypointWaitsThenStarts({ acl }: { acl: boolean }): Promise<void> {
    const managementToken = randomUUID();
    const consul = await startConsul({ cleanup, ...(acl ? { acl: { managementToken } } : {}) });
    const { consul: consulBin, envoy: envoyBin } = binaries();
    const id = `web-${randomBytes(3).toString('hex')}`;
    const [appPort, sidecarPort, adminPort] = await freePorts(3);
    const admin = `http://127.0.0.1:${adminPort}`;
    const tmp = mkdtempSync(path.join(tmpdir(), 'tw-entrypoint-'));
    cleanup.add(() => run('rm', ['-rf', tmp]));
    let token: string | undefined;
    const tokenEnv: Record<string, string> = {};
    if (acl) {
      token = await createServiceToken({
        consulUrl: consul.url,
        operatorToken: managementToken,
        serviceName: 'web',
      });
      tokenEnv.CONSUL_HTTP_TOKEN_FILE = path.join(tmp, 'token');
      writeFileSync(tokenEnv.CONSUL_HTTP_TOKEN_FILE, `${token}\n`, { mode: 0o600 });
    }
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
        ...tokenEnv,
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
      headers: token ? { 'x-consul-token': token } : {},
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
  }

  it('should wait for the registration, then start a LIVE Envoy through consul connect envoy', async () => {
    await entrypointWaitsThenStarts({ acl: false });
  });

  it("should do the same on a default-deny agent with the service's token from CONSUL_HTTP_TOKEN_FILE", async () => {
    await entrypointWaitsThenStarts({ acl: true });
  });
});
