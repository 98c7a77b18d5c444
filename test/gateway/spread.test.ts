/**
 * @module
 * Placement through the real create path, two servers behind the gateway: the load each server
 * reports in real-time state steers creates to the idle one; with loads alike the tank counts
 * even out; a server whose check is `warning` (saturated) gets nothing while another passes.
 * Each phase uses a fresh gateway, so its load view reads the loads just written.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServerLoad } from '../../src/realtime/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
}, 120_000);

/** Reports a load for a server as its heartbeat would. */
async function report(serverId: string, cpu: number): Promise<void> {
  const load: ServerLoad = {
    tank_count: stack.servers.find((s) => s.server.serverId === serverId)!.server.host.list().length,
    cpu_percent: cpu,
    memory_mb: 100,
    ws_connections: 0,
    ticks_behind: 0,
    updated_at: new Date().toISOString(),
  };
  await stack.realtime.setLoad(serverId, load, { ttlMs: 60_000 });
}

/** Creates `count` tanks through a fresh gateway; returns how many landed on each server. */
async function createMany(count: number, phase: string): Promise<Record<string, number>> {
  const gateway = await stack.addGateway(`gateway-${phase}`);
  const placed: Record<string, number> = { 'server-1': 0, 'server-2': 0 };
  for (let i = 0; i < count; i++) {
    const { tank } = await stack.json<{ tank: { server_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: `${phase} ${i}`, initial_fish: 0 },
      via: gateway,
    });
    placed[tank.server_id]! += 1;
  }
  return placed;
}

function running(): Record<string, number> {
  return Object.fromEntries(stack.servers.map((s) => [s.server.serverId, s.server.host.list().length]));
}

describe('placement across two servers', () => {
  it('should send creates to the server reporting the lower load', async () => {
    await report('server-1', 85);
    await report('server-2', 10);
    expect(await createMany(6, 'busy-one')).toEqual({ 'server-1': 0, 'server-2': 6 });
    expect(running()).toEqual({ 'server-1': 0, 'server-2': 6 });
  });

  it('should even out the tank counts when the loads are alike', async () => {
    await report('server-1', 20);
    await report('server-2', 22);
    expect(await createMany(8, 'alike')).toEqual({ 'server-1': 7, 'server-2': 1 });
    expect(running()).toEqual({ 'server-1': 7, 'server-2': 7 });
    const view = await stack.json<{ servers: Array<{ server_id: string; tank_count: number }> }>(
      '/api/servers',
      200,
      { user: 'alice' },
    );
    expect(view.servers.map((s) => [s.server_id, s.tank_count])).toEqual([
      ['server-1', 7],
      ['server-2', 7],
    ]);
  });

  it('should place nothing on a saturated (warning) server while another passes, even a busier one', async () => {
    stack.registry.updateCheck('service:server-2:ttl', 'warning', 'saturated');
    await report('server-1', 70);
    await report('server-2', 5);
    await waitFor(() => stack.gateway.ctx.directory.get('server-2')?.status === 'warning', {
      what: 'server-2 warning',
    });
    expect(await createMany(3, 'saturated')).toEqual({ 'server-1': 3, 'server-2': 0 });
    stack.registry.updateCheck('service:server-2:ttl', 'passing', 'ok');
  });
});
