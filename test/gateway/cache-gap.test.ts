/**
 * @module
 * A gateway's lookup cache across a break in its event subscription: the `tank_moved` events
 * published while Redis is away never reach it, so what it cached before cannot be trusted.
 * Before the fix it went on naming a moved tank's old server for the whole cache TTL (60 s);
 * now it reloads every entry once it sees the subscription break, and again once it is back.
 * The other gateway and the servers share an in-process event bus here, so only the gateway
 * under test hears events through Redis.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.ts';
import { createRealtime, type NetworkEvent, type Realtime } from '../../src/realtime/index.ts';
import { type RedisHandle, startRedis, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let redis: RedisHandle;
/** The gateway whose events come through Redis. */
let viaRedis: Gateway;
/** Another client of the same Redis, to publish a probe. */
let probe: Realtime;

beforeAll(async () => {
  const [database, started] = await Promise.all([useDatabase({ cleanup }), startRedis({ cleanup })]);
  redis = started;
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: database.url });
  const realtime = cleanup.add(
    await createRealtime({ redisUrl: redis.url, prefix: 'tw:', onError: () => {} }),
  );
  probe = cleanup.add(await createRealtime({ redisUrl: redis.url, prefix: 'tw:', onError: () => {} }));
  viaRedis = await stack.addGateway('gateway-redis', { realtime });
}, 60_000);

interface Lookup {
  tank: { tank_id: string; server_id: string };
}

async function serverOf(tankId: string, via: Gateway): Promise<string> {
  return (await stack.json<Lookup>(`/gateway/tanks/${tankId}`, 200, { user: 'alice', via })).tank.server_id;
}

async function tankOn(serverId: string, name: string): Promise<string> {
  const { tank } = await stack.json<Lookup>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name, initial_fish: 2, server_id: serverId },
  });
  return tank.tank_id;
}

async function move(tankId: string, to: string): Promise<void> {
  await stack.json(`/api/tanks/${tankId}/move`, 200, {
    method: 'POST',
    user: 'alice',
    body: { server_id: to },
  });
}

/** Publishes a probe until the gateway's event hub hears one: its subscription is whole. */
async function heardAgain(gateway: Gateway): Promise<void> {
  let heard = false;
  const stop = gateway.ctx.hub.listen((e) => {
    if (e.type === 'server_up' && e.server_id === 'probe') heard = true;
  });
  try {
    const event: NetworkEvent = { type: 'server_up', server_id: 'probe', at: new Date().toISOString() };
    await waitFor(
      async () => {
        await probe.publish(event).catch(() => undefined);
        await sleep(20);
        return heard;
      },
      { what: 'the gateway to hear events through Redis again', timeout: 15_000 },
    );
  } finally {
    stop();
  }
}

describe("a gateway's lookup cache across a break in its event subscription", () => {
  it('should name the new server once its subscription is back, though the move event was lost', async () => {
    const tankId = await tankOn('server-1', 'moved during the outage');
    expect(await serverOf(tankId, viaRedis)).toBe('server-1');

    await redis.kill();
    await move(tankId, 'server-2');
    await redis.restart();
    await heardAgain(viaRedis);
    // Before the fix: 'server-1', for the rest of the cache's minute.
    expect(await serverOf(tankId, viaRedis)).toBe('server-2');
  }, 45_000);

  it('should stop trusting what it cached once it sees the subscription break', async () => {
    const tankId = await tankOn('server-1', 'moved while events are lost');
    expect(await serverOf(tankId, viaRedis)).toBe('server-1');

    await redis.kill();
    await move(tankId, 'server-2');
    // Within a few seconds (the break is noticed when the socket closes), far under the 60 s TTL.
    await waitFor(async () => (await serverOf(tankId, viaRedis)) === 'server-2', {
      what: 'the gateway to look the moved tank up again',
      timeout: 10_000,
    });
    await redis.restart();
    await heardAgain(viaRedis);
  }, 45_000);
});
