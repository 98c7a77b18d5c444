/**
 * @module
 * The OpenAPI-aware Hono app both processes build on: routes are declared once with their zod
 * schemas (so `/openapi.json` is generated, not written), every validation failure becomes the
 * same 400 problem, bodies are size-limited, unknown routes and errors are problem+json, and
 * every answer carries the security headers (CSP, nosniff, no referrer, no framing).
 */
import { ServerResponse } from 'node:http';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../telemetry/index.ts';
import { findControlChar } from './control-chars.ts';
import { ApiError, notFoundHandler, type ProblemCode, problemHandler } from './problem.ts';
import { type ContentSecurityPolicyOptions, securityHeaders } from './secure-headers.ts';

export { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';

export interface CreateApiOptions {
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** The Content-Security-Policy of every answer; `API_CSP` (nothing may run) by default. */
  contentSecurityPolicy?: ContentSecurityPolicyOptions;
  /** Paths taking a larger body than `maxBodyBytes` (a tank archive), refused with their own code. */
  largeBodies?: readonly LargeBody[];
}

/** A path whose body limit is its own. */
export interface LargeBody {
  path: string;
  maxBytes: number;
  code: ProblemCode;
}

function limitBodies(maxBytes: number, code: ProblemCode): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      closeAfterAnswer(c);
      throw new ApiError(code, `request bodies here are limited to ${maxBytes} bytes`);
    },
  });
}

/**
 * Says `Connection: close` on the answer to a request whose body is refused unread: the rest
 * of that body is still on the connection, and the server closes it after answering, so a
 * client must not send its next request there (RFC 9112 §9.6). `@hono/node-server` drops a
 * `connection` header set on a `Response`, so it goes on Node's response object, which it
 * hands to the app as `c.env.outgoing`. Without Node (`app.request` in tests) there is no
 * connection to close.
 */
function closeAfterAnswer(c: Context): void {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (outgoing instanceof ServerResponse && !outgoing.headersSent) outgoing.setHeader('connection', 'close');
}

/** Formats zod issues as `field: message` lines for the problem's `detail`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

/** Where a validated value came from; the body is `json`, everything else is held to the strict rule. */
type Target = 'json' | 'form' | 'query' | 'param' | 'header' | 'cookie';

/**
 * Refuses a validated value holding a control character it has no use for (see
 * `control-chars.ts`), as the same 400 `invalid_request` a schema failure gets, naming the field.
 * Running in the validators' hook, it covers every route declared with `app.openapi`.
 */
function refuseControlChars(target: Target, data: unknown): void {
  const found = findControlChar(data, { strict: target !== 'json' && target !== 'form' });
  if (!found) return;
  const where = target === 'json' || target === 'form' ? '' : `${target} `;
  const message = `control character ${found.char} is not allowed`;
  throw new ApiError('invalid_request', `${where}${found.path}: ${message}`, {
    extra: { errors: [{ path: found.path, in: target, message }] },
  });
}

/**
 * @example
 * ```ts
 * const app = createApi<ServerEnv>({ logger, maxBodyBytes: 64 * 1024 });
 * app.openapi(getTankRoute, (c) => c.json(view(tank), 200));
 * app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'Tank server', version } });
 * ```
 */
export function createApi<E extends Env>({
  logger,
  maxBodyBytes = 64 * 1024,
  contentSecurityPolicy,
  largeBodies = [],
}: CreateApiOptions): OpenAPIHono<E> {
  const app = new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError('invalid_request', describeIssues(result.error), {
          extra: { errors: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        });
      }
      refuseControlChars(result.target, result.data);
    },
  });
  // First, so every answer, errors and 404s included, leaves with the headers.
  app.use('*', securityHeaders({ contentSecurityPolicy }));
  const general = limitBodies(maxBodyBytes, 'payload_too_large');
  const own = new Map(largeBodies.map((b) => [b.path, limitBodies(b.maxBytes, b.code)]));
  app.use('*', (c, next) => (own.get(c.req.path) ?? general)(c, next));
  app.onError(problemHandler({ logger }));
  app.notFound(notFoundHandler);
  return app;
}

/** The problem+json schema, for route declarations' error responses. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
  })
  .openapi('Problem');

/** Error responses a route may give, for `createRoute({ responses })`. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: `problem (${s})`, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}
