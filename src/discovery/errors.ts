/**
 * @module
 * Discovery errors: one base class, a stable `code` each, foreign errors kept as `cause`.
 */

/** Base of every error this module throws; branch on `code`, never on the message. */
export class DiscoveryError extends Error {
  override readonly name: string = 'DiscoveryError';
  readonly code: string;
  /** HTTP status the API's problem handler answers with. */
  readonly status: number;
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 500;
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
    super('discovery_unavailable', message, { status: 503, cause: options.cause });
  }
}

/** A registration Consul would reject (bad id, Meta value too long, comma in a capability). */
export class InvalidRegistrationError extends DiscoveryError {
  override readonly name = 'InvalidRegistrationError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid_registration', message, { status: 400, cause: options.cause });
  }
}

/** `passTtl` before `register` (or after `deregister`): there is nothing to heartbeat. */
export class NotRegisteredError extends DiscoveryError {
  override readonly name = 'NotRegisteredError';
  constructor(message = 'passTtl called before register') {
    super('not_registered', message, { status: 409 });
  }
}

/** A call after `close()`. */
export class DiscoveryClosedError extends DiscoveryError {
  override readonly name = 'DiscoveryClosedError';
  constructor(message = 'discovery is closed') {
    super('discovery_closed', message, { status: 503 });
  }
}
