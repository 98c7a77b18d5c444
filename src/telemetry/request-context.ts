/**
 * @module
 * What joins a log line to its request: the request id (the caller's `x-request-id` when it is
 * safe to repeat, else one made here) kept in the OpenTelemetry context beside the active span,
 * so pino's mixin and the outgoing calls read both from one place without passing them down.
 */
import { randomUUID } from 'node:crypto';
import { type Context, context, createContextKey, trace } from '@opentelemetry/api';

const REQUEST_ID = createContextKey('tankworld.request_id');

/** The header carrying the request id, in and out (and on to the servers). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Letters, digits and `._:-`, 1–128 characters: enough for UUIDs, ULIDs and most proxies' ids,
 * and nothing that could break a log line, a header or a query in a log store.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's request id when it is safe to log and echo, else a new UUID.
 *
 * @example
 * ```ts
 * requestIdFrom('abc-123'); // 'abc-123'
 * requestIdFrom('a b\n');   // a fresh UUID
 * ```
 */
export function requestIdFrom(header: string | undefined | null): string {
  return header && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** `parent` with the request id set; run the request's work in it. */
export function withRequestId(parent: Context, requestId: string): Context {
  return parent.setValue(REQUEST_ID, requestId);
}

/** The request id of the active context, if any. */
export function activeRequestId(): string | undefined {
  return context.active().getValue(REQUEST_ID) as string | undefined;
}

/**
 * The fields every log line of a request carries (pino's mixin): `trace_id`, `span_id` and
 * `request_id`; nothing outside a request.
 */
export function logCorrelation(): Record<string, string> {
  const active = context.active();
  const fields: Record<string, string> = {};
  const span = trace.getSpanContext(active);
  if (span && trace.isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  const requestId = active.getValue(REQUEST_ID);
  if (typeof requestId === 'string') fields.request_id = requestId;
  return fields;
}
