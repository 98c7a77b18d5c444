/**
 * @module
 * One trace across the gateway and a tank server: a request that arrives at the gateway with a
 * `traceparent` is proxied with the trace carried on, so the server's span belongs to the
 * caller's trace and is a child of the gateway's span. Spans are caught by an in-memory
 * exporter on the real OpenTelemetry SDK.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import { createGateway } from '../../src/gateway/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createLogger, SpanKind } from '../../src/telemetry/index.ts';
import { SECRET, startTestServer } from '../server/fixture.ts';
import { createCleanup, waitFor } from '../support/index.ts';

describe('tracing across gateway and server', () => {
  it('should put the server span of a proxied call in the caller’s trace, under the gateway span', async ({
    onTestFinished,
  }) => {
    const exporter = new InMemorySpanExporter();
    const sdk = new NodeSDK({
      serviceName: 'trace-test',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    sdk.start();
    onTestFinished(() => sdk.shutdown());
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const registry = createLocalRegistry();
    const server = await startTestServer({ cleanup, serverId: 'server-1', registry });
    const gateway = createGateway({
      gatewayId: 'gateway-trace',
      port: 0,
      db: server.store.db,
      discovery: createLocalDiscovery({ registry }),
      realtime: cleanup.add(await createRealtime({})),
      verifier: createTokenVerifier({ secret: SECRET }),
      internalSecret: SECRET,
      logger: createLogger({ level: 'silent' }),
      failoverGraceMs: 0,
    });
    await gateway.start();
    cleanup.add(() => gateway.stop());
    const auth = { authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}` };
    const created = await fetch(`${gateway.url}/api/tanks`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced' }),
    });
    const { tank } = (await created.json()) as { tank: { tank_id: string } };

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${gateway.url}/api/tanks/${tank.tank_id}/stats`, {
      headers: { ...auth, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);

    const spans = await waitFor(
      () => {
        const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
        return inTrace.length >= 3 ? inTrace : undefined;
      },
      { what: 'the gateway and server spans of the trace' },
    );
    const gatewaySpan = spans.find(
      (s) => s.instrumentationScope.name === 'tankworld_gateway' && s.kind === SpanKind.SERVER,
    );
    const callSpan = spans.find(
      (s) => s.instrumentationScope.name === 'tankworld_gateway' && s.kind === SpanKind.CLIENT,
    );
    const serverSpan = spans.find((s) => s.instrumentationScope.name === 'tankworld_server');
    expect(gatewaySpan?.name).toBe('GET /api/tanks/:id/stats');
    expect(serverSpan?.name).toBe('GET /api/tanks/:id/stats');
    expect(gatewaySpan?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    // The gateway's call to the server is a CLIENT span between the two.
    expect(callSpan?.parentSpanContext?.spanId).toBe(gatewaySpan?.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(callSpan?.spanContext().spanId);
  });
});
