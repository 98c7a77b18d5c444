/**
 * @module
 * Environment that turns every quota and rate limit off, for the load rigs that drive real
 * `tankworld` processes as one user far past what the defaults allow a person.
 */
import { configEnvNames } from '../../src/config.ts';

/**
 * `0` for every allowance (`RATE_LIMIT_*_PER_*`, `WS_MAX_*`, `SSE_MAX_*`, `TANK_QUOTA_PER_USER`).
 *
 * @example
 * ```ts
 * await startProgram({ command, args: ['src/cli.ts', 'gateway'], env: { ...env, ...UNLIMITED_ENV } });
 * ```
 */
export const UNLIMITED_ENV: Record<string, string> = Object.fromEntries(
  configEnvNames()
    .filter((name) => /^(RATE_LIMIT_\w+_PER_|WS_MAX_|SSE_MAX_|TANK_QUOTA_)/.test(name))
    .map((name) => [name, '0']),
);
