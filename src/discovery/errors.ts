/**
 * @module
 * Discovery errors: one base class, a stable `code` each (typed against `STATUS_BY_CODE`,
 * which gives the status), foreign errors kept as `cause`.
 */
import { type ProblemCode, problemStatus } from '../http/index.ts';

/** Base of every error this module throws; branch on `code`, never on the message. */
export class DiscoveryError extends Error {
  override readonly name: string = 'DiscoveryError';
  readonly code: ProblemCode;
  /** HTTP status the API's problem handler answers with. */
  readonly status: number;
  constructor(code: ProblemCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = problemStatus(code);
  }
}

/**
 * The registry could not be reached or did not answer in time. Callers keep running and serve
 * `lastKnown()` instead.
 *
 * @example
 * ```ts
 * try { return await discovery.healthyServers(); }
 * catch (err) { if (err instanceof DiscoveryUnavailableError) return (await discovery.lastKnown()).servers; throw err; }
 * ```
 */
export class DiscoveryUnavailableError extends DiscoveryError {
  override readonly name = 'DiscoveryUnavailableError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('discovery_unavailable', message, { cause: options.cause });
  }
}

/** A registration Consul would reject (bad id, Meta value too long, comma in a capability). */
export class InvalidRegistrationError extends DiscoveryError {
  override readonly name = 'InvalidRegistrationError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid_registration', message, { cause: options.cause });
  }
}

/** `passTtl` before `register` (or after `deregister`): there is nothing to heartbeat. */
export class NotRegisteredError extends DiscoveryError {
  override readonly name = 'NotRegisteredError';
  constructor(message = 'passTtl called before register') {
    super('not_registered', message);
  }
}

/** A call after `close()`. */
export class DiscoveryClosedError extends DiscoveryError {
  override readonly name = 'DiscoveryClosedError';
  constructor(message = 'discovery is closed') {
    super('discovery_closed', message);
  }
}
