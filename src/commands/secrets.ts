/**
 * @module
 * Secrets for user JWTs and internal request signing. In a distributed network they come from
 * the environment (`JWT_SECRET`, `INTERNAL_SECRET`), the same on every process. The embedded
 * default makes random ones once and keeps them under the data folder, so tokens printed by
 * `npm start` stay valid across restarts and `tankworld token` mints tokens it accepts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CommonConfig, ConfigError } from '../config.ts';

export interface Secrets {
  jwtSecret: string;
  internalSecret: string;
}

export async function loadSecrets(config: CommonConfig): Promise<Secrets> {
  if (config.jwtSecret && config.internalSecret)
    return { jwtSecret: config.jwtSecret, internalSecret: config.internalSecret };
  if (config.distributed) {
    throw new ConfigError(
      'DISTRIBUTED_MODE needs JWT_SECRET and INTERNAL_SECRET (at least 16 characters each), the same on every process',
    );
  }
  const file = path.join(config.dataDir, 'dev-secrets.json');
  let stored: Partial<Secrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<Secrets>;
  } catch {
    stored = {};
  }
  const secrets: Secrets = {
    jwtSecret: config.jwtSecret ?? stored.jwtSecret ?? randomBytes(32).toString('base64url'),
    internalSecret: config.internalSecret ?? stored.internalSecret ?? randomBytes(32).toString('base64url'),
  };
  if (secrets.jwtSecret !== stored.jwtSecret || secrets.internalSecret !== stored.internalSecret) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
