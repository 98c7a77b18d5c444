/**
 * @module
 * Where the processes' secrets come from: a distributed network needs them in the environment
 * (only INTERNAL_SECRET when user tokens come from an identity provider), the embedded default
 * makes them once and keeps them.
 */
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSecrets, mintingSecret } from '../../src/commands/secrets.ts';
import { loadCommonConfig } from '../../src/config.ts';

const SECRET = 'secrets-test-0123456789abcdef';
const JWKS_URL = 'https://idp.example/.well-known/jwks.json';
const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'tw-secrets-'));
  folders.push(folder);
  return folder;
}

const load = async (env: Record<string, string>) =>
  loadSecrets(loadCommonConfig([], { TANKWORLD_DATA_DIR: await dataDir(), ...env }));

describe('secrets', () => {
  it('should need both secrets in a distributed network', async () => {
    await expect(load({ DISTRIBUTED_MODE: 'true', INTERNAL_SECRET: SECRET })).rejects.toThrow(
      'DISTRIBUTED_MODE needs JWT_SECRET and INTERNAL_SECRET',
    );
    expect(await load({ DISTRIBUTED_MODE: 'true', JWT_SECRET: SECRET, INTERNAL_SECRET: SECRET })).toEqual({
      jwtSecret: SECRET,
      internalSecret: SECRET,
    });
  });

  it('should need only INTERNAL_SECRET when user tokens come from an identity provider', async () => {
    const secrets = await load({ DISTRIBUTED_MODE: 'true', JWKS_URL, INTERNAL_SECRET: SECRET });
    expect(secrets).toEqual({ jwtSecret: undefined, internalSecret: SECRET });
    expect(() => mintingSecret(secrets)).toThrow('user tokens come from the identity provider');
    await expect(load({ DISTRIBUTED_MODE: 'true', JWKS_URL })).rejects.toThrow(
      'DISTRIBUTED_MODE needs INTERNAL_SECRET',
    );
  });

  it('should make the embedded default its secrets once and keep them', async () => {
    const env = { TANKWORLD_DATA_DIR: await dataDir() };
    const first = await loadSecrets(loadCommonConfig([], env));
    expect(first.jwtSecret).toMatch(/^[\w-]{40,}$/);
    expect(first.internalSecret).toMatch(/^[\w-]{40,}$/);
    expect(await loadSecrets(loadCommonConfig([], env))).toEqual(first);
    expect(mintingSecret(first)).toBe(first.jwtSecret);
  });
});

describe('the data folder', () => {
  const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

  it('should make the data folder 0700 and the secrets file 0600', async () => {
    const dir = path.join(await dataDir(), 'data');
    await loadSecrets(loadCommonConfig([], { TANKWORLD_DATA_DIR: dir }));
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(path.join(dir, 'dev-secrets.json'))).toBe(0o600);
  });

  it('should tighten a world-readable data folder and secrets file at start', async () => {
    const dir = path.join(await dataDir(), 'data');
    await loadSecrets(loadCommonConfig([], { TANKWORLD_DATA_DIR: dir }));
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'dev-secrets.json'), 0o644);
    await loadSecrets(loadCommonConfig([], { TANKWORLD_DATA_DIR: dir }));
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(path.join(dir, 'dev-secrets.json'))).toBe(0o600);
  });
});
