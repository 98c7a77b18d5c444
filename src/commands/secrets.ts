/**
 * @module
 * Secrets for user JWTs and internal request signing. In a distributed network they come from
 * the environment (`JWT_SECRET`, `INTERNAL_SECRET`), the same on every process; with `JWKS_URL`
 * user tokens come from an identity provider and only `INTERNAL_SECRET` is needed. The embedded
 * default makes random ones once and keeps them under the data folder, so tokens printed by
 * `npm start` stay valid across restarts and `tankworld token` mints tokens it accepts. The data
 * folder is 0700 and the secrets file 0600, tightened at every start if they were left looser.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CommonConfig, ConfigError } from '../config.ts';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../store/index.ts';

export interface Secrets {
  /** Absent when a distributed network takes its user tokens from an identity provider (`JWKS_URL`). */
  jwtSecret: string | undefined;
  internalSecret: string;
}

export async function loadSecrets(config: CommonConfig): Promise<Secrets> {
  // With JWKS_URL user tokens are verified with the provider's keys: no HS256 secret is needed.
  const jwtNeeded = config.jwksUrl === undefined;
  if (config.internalSecret && (config.jwtSecret || (config.distributed && !jwtNeeded)))
    return { jwtSecret: config.jwtSecret, internalSecret: config.internalSecret };
  if (config.distributed) {
    throw new ConfigError(
      jwtNeeded
        ? 'DISTRIBUTED_MODE needs JWT_SECRET and INTERNAL_SECRET (at least 16 characters each), the same on every process'
        : 'DISTRIBUTED_MODE needs INTERNAL_SECRET (at least 16 characters), the same on every process',
    );
  }
  const file = path.join(config.dataDir, 'dev-secrets.json');
  makePrivateDir(config.dataDir);
  let stored: Partial<Secrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<Secrets>;
    // An older version left the file as the umask made it (0644, say): readable by others.
    await chmod(file, PRIVATE_FILE_MODE);
  } catch {
    stored = {};
  }
  const secrets: Secrets = {
    jwtSecret: config.jwtSecret ?? stored.jwtSecret ?? randomBytes(32).toString('base64url'),
    internalSecret: config.internalSecret ?? stored.internalSecret ?? randomBytes(32).toString('base64url'),
  };
  if (secrets.jwtSecret !== stored.jwtSecret || secrets.internalSecret !== stored.internalSecret) {
    // `mode` applies only when the file is created; an existing one was tightened above.
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: PRIVATE_FILE_MODE });
  }
  return secrets;
}

/** The secret to mint user tokens with; there is none when they come from an identity provider. */
export function mintingSecret(secrets: Secrets): string {
  if (!secrets.jwtSecret)
    throw new ConfigError('user tokens come from the identity provider (JWKS_URL): this process mints none');
  return secrets.jwtSecret;
}
