/**
 * @module
 * Idempotency keys belong to the user who sent them. They were global: another user's transfer
 * with a key already used got 422 `idempotency_mismatch` and, in it, the first transfer's id.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 2 });
}, 120_000);

/** Two tanks of `user`'s with a fish in the first; the fish's id. */
async function tanksOf(user: string): Promise<{ source: string; dest: string; fish: number }> {
  const create = async (name: string) =>
    (
      await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
        method: 'POST',
        user,
        body: { name, initial_fish: 0 },
      })
    ).tank.tank_id;
  const source = await create(`${user}'s source`);
  const dest = await create(`${user}'s destination`);
  const fish = await stack.json<{ id: number }>(`/api/tanks/${source}/fish`, 201, {
    method: 'POST',
    user,
    body: {},
  });
  return { source, dest, fish: fish.id };
}

function transfer(user: string, t: { source: string; dest: string; fish: number }, key: string) {
  return stack.call('/gateway/transfer', {
    method: 'POST',
    user,
    headers: { 'idempotency-key': key },
    body: { source_tank_id: t.source, dest_tank_id: t.dest, entity_id: t.fish },
  });
}

describe('idempotency keys per user', () => {
  it("should give a second user with the same Idempotency-Key their own transfer, not 422 and the first one's id", async () => {
    const alice = await tanksOf('alice');
    const bob = await tanksOf('bob');
    const first = await transfer('alice', alice, 'move-1');
    expect(first.status).toBe(200);
    const alices = (await first.json()) as { transfer_id: string };

    const second = await transfer('bob', bob, 'move-1');
    const text = await second.text();
    expect({ status: second.status, text }).toMatchObject({ status: 200 });
    expect(text).not.toContain(alices.transfer_id);
    const bobs = JSON.parse(text) as { transfer_id: string; success: boolean };
    expect(bobs.success).toBe(true);
    expect(bobs.transfer_id).not.toBe(alices.transfer_id);
    const seen = await stack.json<{ idempotency_key: string; source_tank_id: string }>(
      `/api/transfers/${bobs.transfer_id}`,
      200,
      { user: 'bob' },
    );
    expect(seen).toMatchObject({ idempotency_key: 'move-1', source_tank_id: bob.source });
  });

  it('should still answer a retry by the same user with the first answer', async () => {
    const carol = await tanksOf('carol');
    const first = await transfer('carol', carol, 'retry-me');
    const again = await transfer('carol', carol, 'retry-me');
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await again.json()).toEqual(await first.json());
  });

  it('should still refuse the same user reusing a key for another transfer with 422', async () => {
    const dave = await tanksOf('dave');
    expect((await transfer('dave', dave, 'reused')).status).toBe(200);
    const other = await transfer('dave', { ...dave, source: dave.dest, dest: dave.source }, 'reused');
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'idempotency_mismatch' });
  });
});
