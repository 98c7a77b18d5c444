/**
 * @module
 * Failover when the server a tank is moved to cannot adopt it at first: the location already
 * names that server one epoch on, so no later pass sees the tank as down. The gateway keeps
 * such tanks and asks again on each pass, so the tank runs again once its new server takes it
 * (before, it stayed listed as available on a server that did not run it). Each move is
 * counted on `/metrics`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.ts';
import type { ServerTarget } from '../../src/server-client/index.ts';
import { getLocation } from '../../src/store/index.ts';
import { freePort, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

interface Lookup {
  tank: { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string };
}

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
}, 120_000);

describe('failover onto a server that cannot adopt yet', () => {
  it('should ask again on later passes until the tank runs on its new server', async () => {
    // Tanks on server-1, the one about to stop.
    const created: Lookup[] = [];
    for (let i = 0; i < 6; i++) {
      created.push(
        await stack.json<Lookup>('/api/tanks', 201, {
          method: 'POST',
          user: 'alice',
          body: { name: `Mover ${i}` },
        }),
      );
    }
    const moving = created.filter((c) => c.server.server_id === 'server-1');
    expect(moving.length).toBeGreaterThan(0);

    // A failover gateway whose calls to server-2 go nowhere until `reachable` is set.
    const dead = `http://127.0.0.1:${await freePort()}`;
    let reachable = false;
    let failover: Gateway | undefined;
    const resolveServer = (serverId: string): ServerTarget | undefined => {
      const server = failover?.ctx.directory.get(serverId);
      if (!server) return undefined;
      if (serverId === 'server-2' && !reachable) return { baseUrl: dead };
      return { baseUrl: `http://${server.address}:${server.port}` };
    };
    failover = await stack.addGateway('gateway-failover', { failoverGraceMs: 200, resolveServer });

    const [one, two] = stack.servers.map((s) => s.server);
    await one!.stop();

    // Moved (location on server-2, one epoch on) but not adopted: server-2 was never reached.
    for (const c of moving) {
      await waitFor(
        async () => {
          const location = await getLocation(stack.store.db, c.tank.tank_id);
          return location?.serverId === 'server-2' && location.epoch > c.tank.epoch;
        },
        { what: `${c.tank.tank_id} moved to server-2`, timeout: 20_000 },
      );
      expect(two!.host.get(c.tank.tank_id)).toBeUndefined();
    }

    // server-2 can be reached again: a later pass has it adopt every moved tank.
    reachable = true;
    for (const c of moving) {
      await waitFor(() => two!.host.get(c.tank.tank_id) !== undefined, {
        what: `${c.tank.tank_id} running on server-2`,
        timeout: 20_000,
      });
      const location = await getLocation(stack.store.db, c.tank.tank_id);
      expect(two!.host.get(c.tank.tank_id)!.epoch).toBe(location!.epoch);
      const lookup = await stack.json<Lookup>(`/gateway/tanks/${c.tank.tank_id}`, 200, {
        user: 'alice',
        via: failover,
      });
      expect(lookup.server.server_id).toBe('server-2');
      const stats = await stack.call(`/api/tanks/${c.tank.tank_id}/stats`, { user: 'alice', via: failover });
      expect(stats.status).toBe(200);
    }
    // Each was moved once: the retries asked server-2 again instead of bumping the epoch again.
    for (const c of moving) {
      expect((await getLocation(stack.store.db, c.tank.tank_id))!.epoch).toBe(c.tank.epoch + 1);
    }
    // And counted once each on the failover gateway's /metrics, when adopted.
    const metrics = await (await stack.call('/metrics', { via: failover })).text();
    const moved = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('tankworld_gateway_failovers_total{') && l.includes('from="server-1",to="server-2"'),
      );
    expect(Number(moved?.slice(moved.lastIndexOf(' ') + 1))).toBe(moving.length);
  });
});
