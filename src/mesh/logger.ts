/**
 * @module
 * The logger the starters accept: the subset of pino's API they use, so a pino logger (or a
 * child of one) fits as is, and tests can pass nothing.
 */

/** A pino-compatible logger: `logger.info({ port }, 'postgres ready')`. */
export interface MeshLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The default when no logger is passed: the process logs go to their own files anyway. */
export const silentLogger: MeshLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
});
