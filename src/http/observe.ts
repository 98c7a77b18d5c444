/**
 * @module
 * Request telemetry for both processes: a span per request (continuing the caller's trace
 * from `traceparent`), a request id (the caller's `x-request-id` when safe, else a new one,
 * echoed on the answer), a latency histogram per route on `/metrics`, and one access-log line
 * per request. Every pino line written while the request runs carries its `trace_id`,
 * `span_id` and `request_id` (the logger's mixin reads them from the context set here).
 */
import type { MiddlewareHandler } from 'hono';
import type { Level } from 'pino';
import {
  context,
  Histogram,
  LATENCY_BUCKETS,
  type Logger,
  propagation,
  REQUEST_ID_HEADER,
  type Registry,
  requestIdFrom,
  SpanKind,
  SpanStatusCode,
  trace,
  withRequestId,
} from '../telemetry/index.ts';

/** The level of the access log, or `silent` for none. */
export type AccessLogLevel = Level | 'silent';

export interface ObserveOptions {
  registry: Registry;
  /** Names the tracer and prefixes the histogram, e.g. `tankworld_server`. */
  name: string;
  /** Where the access log goes; none without it. */
  logger?: Logger;
  /** The access log's level (`ACCESS_LOG_LEVEL`): `debug` keeps it out of an `info` log. */
  accessLogLevel?: AccessLogLevel;
}

/**
 * @example
 * ```ts
 * app.use('*', observe({ registry, name: 'tankworld_gateway', logger, accessLogLevel: 'info' }));
 * ```
 */
export function observe({
  registry,
  name,
  logger,
  accessLogLevel = 'info',
}: ObserveOptions): MiddlewareHandler {
  const histogram = new Histogram({
    name: `${name}_http_request_duration_seconds`,
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tracer = trace.getTracer(name);
  const access = logger && accessLogLevel !== 'silent' ? logger.child({ log: 'access' }) : undefined;
  return async function observeRequest(c, next) {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    const extracted = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
    const parent = withRequestId(extracted, requestId);
    await tracer.startActiveSpan(
      `${c.req.method} ${c.req.path}`,
      { kind: SpanKind.SERVER },
      parent,
      async (span) => {
        // Set before the route runs, as Hono's own request-id does: the answer may be a
        // passed-through Response whose headers cannot be changed afterwards.
        c.header(REQUEST_ID_HEADER, requestId);
        try {
          await next();
        } finally {
          const route = c.req.routePath || 'unmatched';
          const status = c.res.status;
          const seconds = (performance.now() - started) / 1000;
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute('http.response.status_code', status);
          span.setAttribute('tankworld.request_id', requestId);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          access?.[accessLogLevel as Level](
            {
              method: c.req.method,
              path: c.req.path,
              route,
              status,
              duration_ms: Math.round(seconds * 1e4) / 10,
            },
            'request',
          );
          span.end();
          histogram.observe({ method: c.req.method, route, status: String(status) }, seconds);
        }
      },
    );
  };
}
