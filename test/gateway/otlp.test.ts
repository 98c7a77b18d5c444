/**
 * @module
 * Tracing as it leaves the processes: a `tankworld gateway` and a `tankworld server` process with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` set export their spans over OTLP/HTTP to a collector (here a
 * small HTTP server in the test, taking the JSON encoding). A proxied call that arrives with a
 * `traceparent` shows up as one trace: the gateway's span a child of the caller's, and the
 * server's span a child of the gateway's, each under its own `service.name`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import {
  distributedEnv,
  freePorts,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const SECRET = 'gateway-otlp-secret-0123456789';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number }>;
    }>;
  }>;
}

/** An OTLP/HTTP collector that keeps every span it is sent (JSON encoding). */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; posts: string[] }> {
  const spans: ExportedSpan[] = [];
  const posts: string[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
    if (req.url === '/v1/traces') {
      const body = JSON.parse(text) as OtlpExport;
      for (const rs of body.resourceSpans ?? []) {
        const service =
          rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown';
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) spans.push({ service, ...s });
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.add(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, posts };
}

describe('OTLP export from the gateway and server processes', () => {
  it('should export one trace from the caller through the gateway to the tank server', async () => {
    const [consul, redis, database, collector] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
      startCollector(),
    ]);
    const [gatewayPort, serverPort] = await freePorts(2);
    const env = {
      ...distributedEnv({ consul, database, redis, secret: SECRET }),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Export within half a second instead of the SDK's 5 s batches.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await startTankworld({ role: 'gateway', id: 'gw-otlp', port: gatewayPort!, env, cleanup });
    await startTankworld({ role: 'server', id: 'srv-otlp', port: serverPort!, env, cleanup });
    const headers = {
      authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}`,
      'content-type': 'application/json',
    };
    await waitFor(
      async () => {
        const res = await fetch(`${gatewayUrl}/api/servers`, { headers });
        const body = (await res.json()) as { servers: Array<{ health: string }> };
        return body.servers.some((s) => s.health === 'passing');
      },
      { what: 'the server passing at the gateway', timeout: 30_000 },
    );
    const created = await fetch(`${gatewayUrl}/api/tanks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Traced' }),
    });
    expect(created.status).toBe(201);
    const { tank } = (await created.json()) as { tank: { tank_id: string } };

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const stats = await fetch(`${gatewayUrl}/api/tanks/${tank.tank_id}/stats`, {
      headers: { ...headers, traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(stats.status).toBe(200);

    const trace = await waitFor(
      () => {
        const inTrace = collector.spans.filter((s) => s.traceId === traceId);
        // OTLP's span kinds: 2 server, 3 client.
        const gateway = inTrace.find((s) => s.service === 'tank-gateway' && s.kind === 2);
        const call = inTrace.find((s) => s.service === 'tank-gateway' && s.kind === 3);
        const server = inTrace.find((s) => s.service === 'tank-server' && s.kind === 2);
        return gateway && call && server ? { gateway, call, server } : undefined;
      },
      { what: 'both processes exporting the trace', timeout: 30_000 },
    );
    expect(collector.posts.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(true);
    expect(trace.gateway.parentSpanId).toBe(callerSpanId);
    expect(trace.call.parentSpanId).toBe(trace.gateway.spanId);
    expect(trace.server.parentSpanId).toBe(trace.call.spanId);
    expect(trace.gateway.name).toContain('/api/tanks/');
    expect(trace.server.name).toContain('/stats');
  });
});
