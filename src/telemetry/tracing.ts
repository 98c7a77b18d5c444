/**
 * @module
 * OpenTelemetry tracing. Spans are made by our own middleware (one per request) and carried
 * between processes in `traceparent`; the SDK exports them over OTLP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set and keeps them in-process otherwise.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';

export type { Span };
export { context, propagation, SpanKind, SpanStatusCode, trace };

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://collector:4318. Without it nothing is exported. */
  otlpEndpoint?: string;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK once per OS process (OpenTelemetry's API is process-global by design).
 *
 * @example
 * ```ts
 * const tracing = await startTracing({ serviceName: 'tank-gateway', otlpEndpoint });
 * // … on SIGTERM
 * await tracing.shutdown();
 * ```
 */
export async function startTracing({ serviceName, otlpEndpoint }: TracingOptions): Promise<Tracing> {
  // Metrics and logs go through prom-client and pino; leaving their OTel exporters on makes
  // shutdown wait ~8 s for nothing.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  if (!otlpEndpoint) process.env.OTEL_TRACES_EXPORTER ??= 'none';
  else process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= otlpEndpoint;
  const sdk = new NodeSDK({ serviceName });
  sdk.start();
  let closing: Promise<void> | undefined;
  return {
    shutdown() {
      closing ??= sdk.shutdown().catch(() => undefined);
      return closing;
    },
  };
}

/** Adds the current trace context (`traceparent`) to outgoing request headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
