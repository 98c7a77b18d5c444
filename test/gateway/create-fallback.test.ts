/**
 * @module
 * A create whose first server answers with something that says more about that server than
 * about the request (401 from a server with another internal secret, 421 from a misrouting
 * mesh) goes on to the next server; only a refusal of the body itself (400) reaches the caller
 * as the server gave it, and with every server failing the caller gets 503
 * `no_healthy_server`, never the servers' own 401.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlacementStrategy } from '../../src/gateway/index.ts';
import type { ServerTarget } from '../../src/server-client/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

/** server-1 whenever it is a candidate, so every create tries the broken one first. */
const serverOneFirst: PlacementStrategy = {
  name: 'server-1-first',
  choose: (servers) => (servers.find((s) => s.serverId === 'server-1') ?? servers[0])?.serverId,
};

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
}, 120_000);

/** A stand-in tank server answering every request with this problem; counts what it got. */
async function answering(status: number, code: string): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({ type: `/problems/${code}`, title: 'no', status, detail: `stand-in ${code}`, code }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.add(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

/** A gateway whose calls to the servers in `broken` go to `url`, the rest to the real server. */
async function gatewayWith(gatewayId: string, broken: string[], url: string) {
  const gateway = await stack.addGateway(gatewayId, {
    placement: serverOneFirst,
    resolveServer: (serverId): ServerTarget | undefined => {
      if (broken.includes(serverId)) return { baseUrl: url };
      const server = gateway.ctx.directory.get(serverId);
      return server ? { baseUrl: `http://${server.address}:${server.port}` } : undefined;
    },
  });
  return gateway;
}

describe('POST /api/tanks past a server that answers for itself', () => {
  it.each([
    [401, 'invalid_signature'],
    [421, 'misdirected_request'],
  ])('should go on to the next server after a %i %s', async (status, code) => {
    const standIn = await answering(status, code);
    const gateway = await gatewayWith(`gateway-${status}`, ['server-1'], standIn.url);
    const created = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: `Past ${status}` },
      via: gateway,
    });
    // Node's fetch itself sends a request answered 421 once more (RFC 9110 allows it).
    expect(standIn.hits()).toBeGreaterThanOrEqual(1);
    expect(created.tank.server_id).toBe('server-2');
    expect(stack.servers[1]!.server.host.get(created.tank.tank_id)).toBeDefined();
  });

  it('should answer 503 no_healthy_server, not 401, when every server answers 401', async () => {
    const standIn = await answering(401, 'invalid_signature');
    const gateway = await gatewayWith('gateway-all-401', ['server-1', 'server-2'], standIn.url);
    const res = await stack.call('/api/tanks', {
      method: 'POST',
      user: 'alice',
      body: { name: 'Nowhere' },
      via: gateway,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('no_healthy_server');
    expect(body.detail).toContain('server-1');
    expect(body.detail).toContain('server-2');
    expect(standIn.hits()).toBe(2);
  });

  it("should pass a server's refusal of the body (400) to the caller without trying another", async () => {
    const standIn = await answering(400, 'invalid_request');
    const gateway = await gatewayWith('gateway-400', ['server-1'], standIn.url);
    const res = await stack.call('/api/tanks', {
      method: 'POST',
      user: 'alice',
      body: { name: 'Refused' },
      via: gateway,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_request');
    expect(standIn.hits()).toBe(1);
    expect(stack.servers[1]!.server.host.list().some((t) => t.meta.name === 'Refused')).toBe(false);
  });
});
