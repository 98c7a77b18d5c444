/**
 * @module
 * The error of a configuration the process refuses to start with (`src/config.ts`,
 * `src/config-fleet.ts`), printed to the user as-is by the CLI.
 */

/** A configuration error, printed to the user as-is by the CLI. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}
