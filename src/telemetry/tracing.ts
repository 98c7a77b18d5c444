/**
 * @module
 * OpenTelemetry tracing. Spans are made by our own middleware (one per request) and the
 * clients we wrap, and carried between processes in W3C `traceparent` and B3 headers (Envoy's
 * Zipkin tracer joins a trace through B3). The SDK exports them over OTLP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, to Zipkin when `OTEL_EXPORTER_ZIPKIN_ENDPOINT` is, and
 * keeps them in-process otherwise: they still give every log line its trace and span id.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { activeRequestId, REQUEST_ID_HEADER } from './request-context.ts';

export type { Span };
export { context, propagation, SpanKind, SpanStatusCode, trace };

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://collector:4318; wins over Zipkin when both are set. */
  otlpEndpoint?: string;
  /** Zipkin's span endpoint, e.g. http://127.0.0.1:9411/api/v2/spans. */
  zipkinEndpoint?: string;
  /** `service.instance.id` (a server id, a gateway id): tells apart the instances of a service. */
  instanceId?: string;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Keeps spans nowhere. With no processor the SDK registers no tracer provider at all, and
 * spans would then carry no ids for the logs to name.
 */
const NO_EXPORT = {
  onStart() {},
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * Starts the SDK once per OS process (OpenTelemetry's API is process-global by design).
 *
 * @example
 * ```ts
 * const tracing = await startTracing({ serviceName: 'tank-gateway', zipkinEndpoint });
 * // … on SIGTERM
 * await tracing.shutdown();
 * ```
 */
export async function startTracing({
  serviceName,
  otlpEndpoint,
  zipkinEndpoint,
  instanceId,
}: TracingOptions): Promise<Tracing> {
  // Read by the SDK's environment detector; Zipkin shows resource attributes as span tags.
  if (instanceId && !process.env.OTEL_RESOURCE_ATTRIBUTES)
    process.env.OTEL_RESOURCE_ATTRIBUTES = `service.instance.id=${encodeURIComponent(instanceId)}`;
  // Metrics and logs go through prom-client and pino; leaving their OTel exporters on makes
  // shutdown wait ~8 s for nothing.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // The Zipkin exporter copies the resource into every span's tags; the host, OS and process
  // detectors' ~15 tags made each span ~970 bytes instead of ~400, serialized and ingested per
  // span (see `npm run bench tracing`). service.name and OTEL_RESOURCE_ATTRIBUTES (the
  // instance id) are what the traces are read by; `all` brings the rest back.
  process.env.OTEL_NODE_RESOURCE_DETECTORS ??= 'env';
  // B3 (multi-header) beside W3C: Consul's Envoy tracer reads and writes only B3.
  process.env.OTEL_PROPAGATORS ??= 'tracecontext,baggage,b3multi';
  let exporting = true;
  if (otlpEndpoint) {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= otlpEndpoint;
    process.env.OTEL_TRACES_EXPORTER ??= 'otlp';
  } else if (zipkinEndpoint) {
    process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ??= zipkinEndpoint;
    process.env.OTEL_TRACES_EXPORTER ??= 'zipkin';
  } else exporting = false;
  const sdk = new NodeSDK({ serviceName, spanProcessors: exporting ? undefined : [NO_EXPORT] });
  sdk.start();
  let closing: Promise<void> | undefined;
  return {
    shutdown() {
      closing ??= sdk.shutdown().catch(() => undefined);
      return closing;
    },
  };
}

/**
 * Runs `fn` in a CLIENT span of the active trace (a call out of the process: a tank server, the
 * database, Redis); the span ends when `fn` settles and is marked failed when it rejects.
 *
 * @example
 * ```ts
 * await clientSpan('tankworld_realtime', 'redis publish', { 'db.system': 'redis' }, () => client.publish(ch, text));
 * ```
 */
export function clientSpan<T>(
  scope: string,
  name: string,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  return trace.getTracer(scope).startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds the current trace context (W3C and B3) and request id to outgoing request headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  const requestId = activeRequestId();
  if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}
