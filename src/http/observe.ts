/**
 * @module
 * Request telemetry for both processes: a span per request (continuing the caller's trace
 * from `traceparent`), a latency histogram per route on `/metrics`, and a child logger with
 * the trace id for the route to use.
 */
import type { MiddlewareHandler } from 'hono';
import {
  context,
  Histogram,
  LATENCY_BUCKETS,
  propagation,
  type Registry,
  SpanKind,
  SpanStatusCode,
  trace,
} from '../telemetry/index.ts';

export interface ObserveOptions {
  registry: Registry;
  /** Names the tracer and prefixes the histogram, e.g. `tankworld_server`. */
  name: string;
}

/**
 * @example
 * ```ts
 * app.use('*', observe({ registry, name: 'tankworld_gateway' }));
 * ```
 */
export function observe({ registry, name }: ObserveOptions): MiddlewareHandler {
  const histogram = new Histogram({
    name: `${name}_http_request_duration_seconds`,
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tracer = trace.getTracer(name);
  return async function observeRequest(c, next) {
    const started = performance.now();
    const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
    await tracer.startActiveSpan(
      `${c.req.method} ${c.req.path}`,
      { kind: SpanKind.SERVER },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          const route = c.req.routePath || 'unmatched';
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute('http.response.status_code', c.res.status);
          if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          histogram.observe(
            { method: c.req.method, route, status: String(c.res.status) },
            (performance.now() - started) / 1000,
          );
        }
      },
    );
  };
}
