/**
 * @module
 * A hand-off that fails before its location CAS leaves the tank where it was, running: here the
 * tank's epoch moved on underneath it (another gateway's move), so its fenced snapshot is
 * refused. The location is not touched, the tank is not frozen, and its frames go on. A
 * hand-off of a tank that is not here, or to the server it is on, is refused before anything.
 * Through the gateway, a move retried with the same Idempotency-Key moves once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/index.ts';
import { getLocation, moveTank } from '../../src/store/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from '../gateway/fixture.ts';
import { useCleanup, waitFor } from '../support/index.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 2 });
}, 120_000);

/** A signed `POST /internal/tanks/{id}/hand-off` to `server-1`. */
async function handOff(tankId: string, to: string): Promise<Response> {
  const path = `/internal/tanks/${tankId}/hand-off`;
  const body = JSON.stringify({ to_server_id: to, websocket_url: 'ws://127.0.0.1:1' });
  return fetch(`${stack.servers[0]!.server.url}${path}`, {
    method: 'POST',
    headers: {
      ...signRequest({ secret: SECRET, method: 'POST', path, body }),
      'content-type': 'application/json',
    },
    body,
  });
}

async function tankOnServerOne(): Promise<string> {
  for (let i = 0; i < 8; i++) {
    const { tank } = await stack.json<{ tank: { tank_id: string; server_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: `Here ${i}` },
    });
    if (tank.server_id === 'server-1') return tank.tank_id;
  }
  throw new Error('placement put no tank on server-1');
}

describe('a hand-off that fails before the CAS', () => {
  it('should leave the tank running where it was when its snapshot is fenced', async () => {
    const tankId = await tankOnServerOne();
    const tank = stack.servers[0]!.server.host.get(tankId)!;
    // Another move got there first: the location is one epoch on, still naming server-1.
    await moveTank(stack.store.db, { tankId, toServerId: 'server-1', expectedEpoch: tank.epoch });
    const before = await getLocation(stack.store.db, tankId);

    const res = await handOff(tankId, 'server-2');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('stale_epoch');
    expect(await getLocation(stack.store.db, tankId)).toEqual(before);
    expect(stack.servers[1]!.server.host.get(tankId)).toBeUndefined();
    expect(tank.frozen).toBe(false);
    const frame = tank.world.frame;
    await waitFor(() => tank.world.frame > frame, { what: 'the tank ticking on' });
  });

  it('should refuse a tank that is not here, and a move to its own server, with nothing changed', async () => {
    const tankId = await tankOnServerOne();
    const before = await getLocation(stack.store.db, tankId);
    const own = await handOff(tankId, 'server-1');
    expect(own.status).toBe(422);
    expect(((await own.json()) as { code: string }).code).toBe('invalid_move_target');
    const missing = await handOff('00000000-0000-4000-8000-000000000000', 'server-2');
    expect(missing.status).toBe(404);
    expect(await getLocation(stack.store.db, tankId)).toEqual(before);
    expect(stack.servers[0]!.server.host.get(tankId)?.frozen).toBe(false);
  });
});

describe('POST /api/tanks/{id}/move with an Idempotency-Key', () => {
  it('should move once and answer a retry with the first answer', async () => {
    const tankId = await tankOnServerOne();
    const move = () =>
      stack.json<{ tank: { server_id: string; epoch: number } }>(`/api/tanks/${tankId}/move`, 200, {
        method: 'POST',
        user: 'alice',
        headers: { 'idempotency-key': 'move-once' },
      });
    const first = await move();
    const again = await move();
    expect(again).toEqual(first);
    expect(first.tank.server_id).toBe('server-2');
    expect((await getLocation(stack.store.db, tankId))?.epoch).toBe(first.tank.epoch);
    // Another user's same key is their own: bob may not move alice's tank at all.
    const res = await stack.call(`/api/tanks/${tankId}/move`, {
      method: 'POST',
      user: 'bob',
      headers: { 'idempotency-key': 'move-once' },
    });
    expect(res.status).toBe(403);
  });
});
