/**
 * @module
 * Telemetry: the pino root logger, per-part Prometheus registries and OpenTelemetry tracing.
 */
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  type MetricsRegistryOptions,
  Registry,
} from './metrics.ts';
export {
  activeRequestId,
  logCorrelation,
  REQUEST_ID_HEADER,
  requestIdFrom,
  withRequestId,
} from './request-context.ts';
export {
  clientSpan,
  context,
  injectTraceHeaders,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  startTracing,
  type Tracing,
  type TracingOptions,
  trace,
} from './tracing.ts';
