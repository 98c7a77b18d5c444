/**
 * @module
 * Logs that join a request to its trace: every pino line written while a request runs — the
 * access line and the routes' own — carries `trace_id`, `span_id` and `request_id`, on the
 * gateway and on the server it calls; the caller's `x-request-id` is kept and echoed when it is
 * safe, replaced when it is not; the access log is written at its configured level. A gateway
 * and a tank server run in this process on the real OpenTelemetry SDK (no exporter).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import { loadGatewayConfig } from '../../src/config.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import { createGateway } from '../../src/gateway/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createLogger, startTracing } from '../../src/telemetry/index.ts';
import { SECRET, startTestServer } from '../server/fixture.ts';
import { useCleanup } from '../support/index.ts';

type Line = Record<string, unknown> & { msg?: string; service?: string; level?: string };

const cleanup = useCleanup();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A gateway and a server whose pino lines land in one array. */
async function startPair() {
  const lines: Line[] = [];
  const sink = (service: string) =>
    createLogger({
      level: 'debug',
      base: { service },
      destination: { write: (text: string) => void lines.push(JSON.parse(text) as Line) },
    });
  const registry = createLocalRegistry();
  const server = await startTestServer({
    cleanup,
    serverId: 'server-logs',
    registry,
    logger: sink('tank-server'),
    accessLogLevel: 'warn',
  });
  const gateway = createGateway({
    gatewayId: 'gateway-logs',
    port: 0,
    db: server.store.db,
    discovery: createLocalDiscovery({ registry }),
    realtime: cleanup.add(await createRealtime({})),
    verifier: createTokenVerifier({ secret: SECRET }),
    internalSecret: SECRET,
    logger: sink('gateway'),
    failoverGraceMs: 0,
  });
  await gateway.start();
  cleanup.add(() => gateway.stop());
  const token = await mintToken({ secret: SECRET, userId: 'alice' });
  const createTank = (headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/api/tanks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'Logged' }),
    });
  return { lines, createTank };
}

describe('request logs', () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  // As a `tankworld` process starts it: no exporter, yet spans with ids.
  beforeAll(async () => {
    const tracing = await startTracing({ serviceName: 'request-logs-test' });
    pair = await startPair();
    return () => tracing.shutdown();
  });

  it('should give every line of a request, on the gateway and the server, its trace, span and request id', async () => {
    const { lines, createTank } = pair;
    const res = await createTank({ 'x-request-id': 'req-7f.A:1_x' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req-7f.A:1_x');

    const ofRequest = lines.filter((l) => l.request_id === 'req-7f.A:1_x');
    const find = (service: string, msg: string) =>
      ofRequest.find((l) => l.service === service && l.msg === msg);
    const gatewayAccess = find('gateway', 'request');
    const gatewayCreated = find('gateway', 'tank created');
    const serverAccess = find('tank-server', 'request');
    const serverCreated = find('tank-server', 'tank created');
    expect(gatewayAccess).toMatchObject({ method: 'POST', route: '/api/tanks', status: 201, level: 'info' });
    expect(serverAccess).toMatchObject({ method: 'POST', status: 201, level: 'warn' });
    expect(gatewayCreated).toBeDefined();
    expect(serverCreated).toBeDefined();
    const traceId = gatewayAccess?.trace_id as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    for (const line of [gatewayCreated, serverAccess, serverCreated]) expect(line?.trace_id).toBe(traceId);
    for (const line of ofRequest) expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    // The server's lines are in its own span, a child of the gateway's.
    expect(serverCreated?.span_id).toBe(serverAccess?.span_id);
    expect(serverAccess?.span_id).not.toBe(gatewayAccess?.span_id);
    // Lines outside any request (start-up) carry none of the three.
    const outside = lines.filter((l) => l.msg !== 'request' && l.request_id === undefined);
    for (const line of outside) expect(line.trace_id).toBeUndefined();
  });

  it('should replace an unsafe request id with a new one, and pass that one on', async () => {
    const { lines, createTank } = pair;
    for (const sent of ['bad id', 'a'.repeat(129), '<script>', '', 'ü']) {
      const res = await createTank({ 'x-request-id': sent });
      expect(res.status).toBe(201);
      const given = res.headers.get('x-request-id') ?? '';
      expect(given).toMatch(UUID);
      expect(lines.some((l) => l.request_id === sent)).toBe(false);
      const services = new Set(lines.filter((l) => l.request_id === given).map((l) => l.service));
      expect(services).toEqual(new Set(['gateway', 'tank-server']));
    }
    // 128 safe characters are kept.
    const longest = 'b'.repeat(128);
    expect((await createTank({ 'x-request-id': longest })).headers.get('x-request-id')).toBe(longest);
  });

  it('should make a request id when the caller sends none', async () => {
    const { lines, createTank } = pair;
    const first = (await createTank()).headers.get('x-request-id') ?? '';
    const second = (await createTank()).headers.get('x-request-id') ?? '';
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
    expect(lines.filter((l) => l.msg === 'request' && l.request_id === first)).toHaveLength(2);
  });

  it('should read the access log level from ACCESS_LOG_LEVEL', () => {
    expect(loadGatewayConfig([], { ACCESS_LOG_LEVEL: 'debug' }).accessLogLevel).toBe('debug');
    expect(loadGatewayConfig([], {}).accessLogLevel).toBe('info');
    expect(() => loadGatewayConfig([], { ACCESS_LOG_LEVEL: 'loud' })).toThrow();
  });
});
