/**
 * @module
 * Bursts of creates through the real create path over three tank servers: 300 requests sent at
 * once end within ±10 % of even, through one gateway and through two gateways at once (each
 * gateway counts its own creates in flight and placed; the other's show in the next count).
 * The three servers share this process, so their own CPU readings are noise: each burst starts
 * from alike load reports, as the servers' heartbeats would send them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.ts';
import type { ServerLoad } from '../../src/realtime/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 3, databaseUrl: db.url });
}, 120_000);

/** Reports the same load for every server, as alike servers' heartbeats would. */
async function alikeLoads(): Promise<void> {
  for (const { server } of stack.servers) {
    const load: ServerLoad = {
      tank_count: server.host.list().length,
      cpu_percent: 20,
      memory_mb: 100,
      ws_connections: 0,
      ticks_behind: 0,
      updated_at: new Date().toISOString(),
    };
    await stack.realtime.setLoad(server.serverId, load, { ttlMs: 60_000 });
  }
}

/** Sends `count` creates at once through each gateway; returns how many landed on each server. */
async function burst(gateways: Gateway[], count: number, phase: string): Promise<Record<string, number>> {
  await alikeLoads();
  const created = await Promise.all(
    gateways.flatMap((via, g) =>
      Array.from({ length: count }, (_, i) =>
        stack.json<{ tank: { server_id: string } }>('/api/tanks', 201, {
          method: 'POST',
          user: 'alice',
          body: { name: `${phase} ${g}-${i}`, initial_fish: 0 },
          via,
        }),
      ),
    ),
  );
  const placed: Record<string, number> = {};
  for (const { tank } of created) placed[tank.server_id] = (placed[tank.server_id] ?? 0) + 1;
  return placed;
}

/** Three counts of a 300-tank burst, each within ±10 % of 100. */
function expectEven(counts: number[]): void {
  expect(counts).toHaveLength(3);
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(90);
  expect(Math.max(...counts)).toBeLessThanOrEqual(110);
}

function running(): number[] {
  return stack.servers.map((s) => s.server.host.list().length);
}

describe('bursts of creates over three servers', () => {
  it('should end within ±10 % of even with 300 creates at once through one gateway', async () => {
    const placed = await burst([await stack.addGateway('gateway-one')], 300, 'one');
    expect(Object.keys(placed).sort()).toEqual(['server-1', 'server-2', 'server-3']);
    expectEven(Object.values(placed));
    expect(running().reduce((a, b) => a + b)).toBe(300);
  }, 120_000);

  it('should end within ±10 % of even with 150 creates at once through each of two gateways', async () => {
    const before = running();
    const gateways = [await stack.addGateway('gateway-two-a'), await stack.addGateway('gateway-two-b')];
    await burst(gateways, 150, 'two');
    const added = running().map((n, i) => n - before[i]!);
    expect(added.reduce((a, b) => a + b)).toBe(300);
    expectEven(added);
  }, 120_000);
});
