/**
 * @module
 * Errors as RFC 9457 `application/problem+json`, decided in one place. Every part throws
 * errors with a stable `code` (the sim's `SimError`, the store's `StoreError`, the auth
 * errors, our own `ApiError`); this module maps a code to its HTTP status and writes the body.
 * A client branches on `type`, never on the message; no stack trace ever leaves the process.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../telemetry/index.ts';
import { isProblemCode, type ProblemCode, STATUS_BY_CODE } from './problem-codes.ts';
import { retryAfterOf } from './retry-after.ts';

export {
  isProblemCode,
  type ProblemCode,
  problemStatus,
  STATUS_BY_CODE,
  type StatusOf,
} from './problem-codes.ts';

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The `type` URI of a problem code; relative, so it names the problem without a host. */
export function problemType(code: string): string {
  return `/problems/${code}`;
}

/** What an `ApiError` carries besides its code and message. */
export interface ApiErrorOptions {
  /** Members added to the problem body. */
  extra?: Record<string, unknown>;
  /** Response header fields the problem goes with (`Retry-After` on a 429). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A problem another of our processes answered, passed on by `ApiError.relay`. */
export interface RelayedProblem extends ApiErrorOptions {
  /** The code the other process answered; not one of ours becomes `fallback`. */
  code: unknown;
  fallback: ProblemCode;
  /** The status to answer with: the other process's, or what the relaying caller makes of it. */
  status: ContentfulStatusCode;
}

/**
 * An error a route throws on purpose; its status comes from `STATUS_BY_CODE`.
 *
 * @example
 * ```ts
 * throw new ApiError('tank_not_found', `no tank ${id}`);
 * ```
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ProblemCode;
  readonly status: ContentfulStatusCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(code: ProblemCode, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  /**
   * The one way to give a status that is not the table's: a problem another of our processes
   * answered, whose status is a fact off the wire (the gateway answers a server's 5xx as 502).
   *
   * @example
   * ```ts
   * throw ApiError.relay({ code: body.code, fallback: 'upstream_unavailable', status: 502, message });
   * ```
   */
  static relay({
    code,
    fallback,
    status,
    message,
    ...options
  }: RelayedProblem & { message: string }): ApiError {
    const error = new ApiError(isProblemCode(code) ? code : fallback, message, options);
    (error as { status: ContentfulStatusCode }).status = status;
    return error;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [member: string]: unknown;
}

/**
 * Hono's JSON validator reports an unparsable body as a bare `HTTPException(400)` whose only
 * mark is its message (no cause, no code); clients must still see `malformed_json`, not the
 * `invalid_request` of a body that parsed but failed its schema. test/server/bad-input.test.ts
 * fails if a Hono upgrade changes the message.
 */
const MALFORMED_JSON_MESSAGE = /^Malformed JSON/i;

function httpExceptionCode(err: HTTPException): ProblemCode {
  if (err.status === 413) return 'payload_too_large';
  if (err.status === 401) return 'invalid_token';
  // @hono/zod-openapi answers a required body sent as another media type with a bare 415.
  if (err.status === 415) return 'unsupported_media_type';
  if (err.status === 400 && MALFORMED_JSON_MESSAGE.test(err.message)) return 'malformed_json';
  return 'invalid_request';
}

/** Turns any thrown value into a problem body and its status. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ApiError) {
    return {
      ...err.extra,
      type: problemType(err.code),
      title: TITLE_BY_STATUS[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      code: err.code,
    };
  }
  if (err instanceof HTTPException) {
    const code = httpExceptionCode(err);
    return {
      type: problemType(code),
      title: TITLE_BY_STATUS[err.status] ?? 'Error',
      status: err.status,
      detail: err.message || TITLE_BY_STATUS[err.status] || 'error',
      code,
    };
  }
  if (err instanceof SyntaxError) {
    return {
      type: problemType('malformed_json'),
      title: 'Bad Request',
      status: 400,
      detail: 'the body is not valid JSON',
      code: 'malformed_json',
    };
  }
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  // A foreign error (not one of our families) may still carry its own HTTP status.
  const ownStatus = (err as { status?: unknown })?.status;
  const status = isProblemCode(code)
    ? STATUS_BY_CODE[code]
    : typeof ownStatus === 'number' && ownStatus >= 400 && ownStatus < 600
      ? ownStatus
      : 500;
  if (status === 500) {
    return {
      type: problemType('internal'),
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred; it has been logged',
      code: 'internal',
    };
  }
  const detail = err instanceof Error ? err.message : String(err);
  return { type: problemType(code), title: TITLE_BY_STATUS[status] ?? 'Error', status, detail, code };
}

/** A problem+json Response, for code outside Hono's handlers (WebSocket upgrades, proxies). */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { ...headers, 'content-type': 'application/problem+json' },
  });
}

/**
 * The header fields a thrown error's answer carries: an `ApiError`'s own, and `Retry-After`
 * for a code in `RETRY_AFTER_BY_CODE` (from any error family) unless the error set it.
 */
export function problemHeaders(err: unknown): Record<string, string> {
  const own = err instanceof ApiError ? err.headers : {};
  const retryAfter = retryAfterOf((err as { code?: unknown } | null)?.code);
  if (retryAfter === undefined || Object.keys(own).some((k) => k.toLowerCase() === 'retry-after')) return own;
  return { ...own, 'retry-after': String(retryAfter) };
}

/**
 * The one `onError` of an app: logs what is unexpected, answers problem+json.
 *
 * @example
 * ```ts
 * app.onError(problemHandler({ logger }));
 * app.notFound(notFoundHandler);
 * ```
 */
export function problemHandler({ logger }: { logger: Logger }) {
  return function onError(err: Error, c: Context): Response {
    const problem = toProblem(err);
    // An outage is reported once per change of state: per refused request a line, not a stack.
    if (retryAfterOf(problem.code) !== undefined)
      logger.warn({ code: problem.code, path: c.req.path, method: c.req.method }, 'request refused');
    else if (problem.status >= 500)
      logger.error({ err, path: c.req.path, method: c.req.method }, 'request failed');
    return problemResponse(problem, problemHeaders(err));
  };
}

export function notFoundHandler(c: Context): Response {
  return problemResponse(toProblem(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`)));
}
