/**
 * @module
 * Secrets from files: each secret setting (JWT_SECRET, INTERNAL_SECRET, CONSUL_HTTP_TOKEN,
 * DATABASE_URL, REDIS_URL) may come from the file `<NAME>_FILE` names, as Docker and Kubernetes
 * secrets are mounted; one trailing newline is no part of it; setting both ways, an unreadable
 * or empty file are configuration errors; other settings have no file variant.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSecrets } from '../../src/commands/secrets.ts';
import {
  ConfigError,
  configEnvNames,
  loadCommonConfig,
  loadGatewayConfig,
  loadServerConfig,
  secretFileEnvNames,
} from '../../src/config.ts';

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Writes each `name → text` into a fresh folder; returns name → path. */
async function files(contents: Record<string, string>): Promise<Record<string, string>> {
  const folder = await mkdtemp(path.join(tmpdir(), 'tw-secret-files-'));
  folders.push(folder);
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(contents)) {
    out[name] = path.join(folder, name);
    await writeFile(out[name], text, { mode: 0o600 });
  }
  return out;
}

const JWT = 'jwt-from-a-file-0123456789';
const INTERNAL = 'internal-from-a-file-0123456789';
const TOKEN = '6c0a4b6e-2f4e-4a36-9a5e-0d1f2b3c4d5e';
const DATABASE = 'postgres://tankworld:s3cret@db.internal:5432/tankworld';
const REDIS = 'redis://:s3cret@redis.internal:6379';

describe('secret settings from <NAME>_FILE', () => {
  it('should read every secret setting from its file, without the trailing newline', async () => {
    const f = await files({
      jwt: `${JWT}\n`,
      internal: `${INTERNAL}\r\n`,
      token: TOKEN,
      database: `${DATABASE}\n`,
      redis: `${REDIS}\n`,
    });
    const env = {
      JWT_SECRET_FILE: f.jwt,
      INTERNAL_SECRET_FILE: f.internal,
      CONSUL_HTTP_TOKEN_FILE: f.token,
      DATABASE_URL_FILE: f.database,
      REDIS_URL_FILE: f.redis,
    };
    const expected = {
      jwtSecret: JWT,
      internalSecret: INTERNAL,
      consulToken: TOKEN,
      databaseUrl: DATABASE,
      redisUrl: REDIS,
    };
    expect(loadCommonConfig([], env)).toMatchObject(expected);
    expect(loadServerConfig([], env)).toMatchObject(expected);
    expect(loadGatewayConfig([], env)).toMatchObject(expected);
    // A distributed process takes them as if they had been in the environment.
    expect(await loadSecrets(loadCommonConfig([], { ...env, DISTRIBUTED_MODE: 'true' }))).toEqual({
      jwtSecret: JWT,
      internalSecret: INTERNAL,
    });
  });

  it('should keep only one trailing newline off: inner and leading text is the secret', async () => {
    const f = await files({ jwt: ` ${JWT}\n\n` });
    expect(loadCommonConfig([], { JWT_SECRET_FILE: f.jwt }).jwtSecret).toBe(` ${JWT}\n`);
  });

  it('should refuse a secret given both in the environment and as a file', async () => {
    const f = await files({ jwt: JWT, token: TOKEN });
    const both = () => loadCommonConfig([], { JWT_SECRET: JWT, JWT_SECRET_FILE: f.jwt });
    expect(both).toThrow(ConfigError);
    expect(both).toThrow('JWT_SECRET and JWT_SECRET_FILE are both set');
    expect(() => loadServerConfig([], { CONSUL_HTTP_TOKEN: TOKEN, CONSUL_HTTP_TOKEN_FILE: f.token })).toThrow(
      'CONSUL_HTTP_TOKEN and CONSUL_HTTP_TOKEN_FILE are both set',
    );
    // An empty variable is "not set", as everywhere else.
    expect(loadCommonConfig([], { JWT_SECRET: '', JWT_SECRET_FILE: f.jwt }).jwtSecret).toBe(JWT);
  });

  it('should refuse a file it cannot read, and an empty one', async () => {
    const f = await files({ empty: '\n' });
    expect(() => loadCommonConfig([], { INTERNAL_SECRET_FILE: '/nonexistent/tw-secret' })).toThrow(
      /INTERNAL_SECRET_FILE: cannot read \/nonexistent\/tw-secret/,
    );
    expect(() => loadCommonConfig([], { INTERNAL_SECRET_FILE: f.empty })).toThrow(
      `INTERNAL_SECRET_FILE: ${f.empty} is empty`,
    );
  });

  it('should validate a value from a file like one from the environment, naming both ways', async () => {
    const f = await files({ jwt: 'short\n' });
    expect(() => loadCommonConfig([], { JWT_SECRET_FILE: f.jwt })).toThrow(
      '--jwt-secret / JWT_SECRET (or JWT_SECRET_FILE):',
    );
  });

  it('should give no file variant to settings that are not secret', async () => {
    const f = await files({ level: 'debug' });
    expect(loadCommonConfig([], { LOG_LEVEL_FILE: f.level }).logLevel).toBe('info');
  });

  it('should list the file variants among the variables a command reads', () => {
    expect(secretFileEnvNames().sort()).toEqual([
      'CONSUL_HTTP_TOKEN_FILE',
      'DATABASE_URL_FILE',
      'INTERNAL_SECRET_FILE',
      'JWT_SECRET_FILE',
      'REDIS_URL_FILE',
    ]);
    expect(configEnvNames()).toEqual(expect.arrayContaining([...secretFileEnvNames(), 'JWT_SECRET']));
  });
});
