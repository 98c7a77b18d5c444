/**
 * @module
 * The errors the mesh starters throw. Each class has a stable `code`, so callers (the test
 * harness, `tankworld mesh up`) branch on the code and never on the message.
 */

/** The stable codes of {@link MeshError} and its subclasses. */
export const MeshErrorCode = {
  binaryNotFound: 'binary_not_found',
  startFailed: 'start_failed',
  waitTimeout: 'wait_timeout',
  stopped: 'stopped',
  invalidOption: 'invalid_option',
} as const;
export type MeshErrorCode = (typeof MeshErrorCode)[keyof typeof MeshErrorCode];

/**
 * Base class of every error thrown by `src/mesh`.
 *
 * @example
 * ```ts
 * try { await startConsul(); } catch (err) {
 *   if (err instanceof MeshError && err.code === 'binary_not_found') console.error(err.message);
 * }
 * ```
 */
export class MeshError extends Error {
  override name = 'MeshError';
  readonly code: MeshErrorCode;
  constructor(code: MeshErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A program the starter needs (initdb, redis-server, consul, envoy) is not where we looked. */
export class BinaryNotFoundError extends MeshError {
  override name = 'BinaryNotFoundError';
  readonly path: string;
  constructor(path: string, hint: string, options?: ErrorOptions) {
    super(MeshErrorCode.binaryNotFound, `cannot run ${path}: ${hint}`, options);
    this.path = path;
  }
}

/**
 * A process did not come up: it exited, or never became ready. The message ends with the last
 * lines of its log, because that is where the reason is (a port in use, a bad flag).
 */
export class StartError extends MeshError {
  override name = 'StartError';
  readonly logFile: string;
  constructor(what: string, reason: string, logFile: string, logTail: string, options?: ErrorOptions) {
    const tail = logTail.trim() ? `\n--- last lines of ${logFile} ---\n${logTail.trimEnd()}` : '';
    super(MeshErrorCode.startFailed, `${what} failed to start: ${reason}${tail}`, options);
    this.logFile = logFile;
  }
}

/** {@link waitFor} gave up: the condition did not hold within its timeout. */
export class WaitTimeoutError extends MeshError {
  override name = 'WaitTimeoutError';
  constructor(what: string, timeoutMs: number, options?: ErrorOptions) {
    const last = options?.cause instanceof Error ? ` (last error: ${options.cause.message})` : '';
    super(MeshErrorCode.waitTimeout, `timed out after ${timeoutMs} ms waiting for ${what}${last}`, options);
  }
}
