/**
 * @module
 * `tankworld_tube_moves_in_flight`: a fish on its way through a tube is in neither tank's world,
 * and the gauge says so until it lands. The move is held at its journal write by a row lock on
 * the destination's location, so this runs on the harness PostgreSQL (row locks; the embedded
 * store would hold the whole database instead), with no periodic snapshots (a batch waiting for
 * the lock would hold the move up before the fish leaves its tank).
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../gateway/fixture.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, databaseUrl: db.url, snapshotIntervalMs: 600_000 });
}, 120_000);

async function tank(name: string): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name, initial_fish: 0 },
  });
  return tank.tank_id;
}

/** The server's `tankworld_tube_moves_in_flight`, scraped from its /metrics. */
async function movesInFlight(): Promise<number> {
  const text = await (await fetch(`${stack.servers[0]!.server.url}/metrics`)).text();
  const found = /^tankworld_tube_moves_in_flight(?:\{[^}]*\})? (\d+)$/m.exec(text);
  if (!found) throw new Error('no tankworld_tube_moves_in_flight in /metrics');
  return Number(found[1]);
}

/** Where each fish of these tanks is now, read from the running worlds at one instant. */
function census(...tankIds: string[]): Map<string, string> {
  const where = new Map<string, string>();
  for (const id of tankIds) {
    const world = stack.servers[0]!.server.host.get(id)!.world;
    for (const uid of world.fish.uid.slice(0, world.fish.count)) where.set(uid, id);
  }
  return where;
}

/** Holds a row lock on the tank's location until `release` (its own transaction). */
async function lockLocation(tankId: string): Promise<{ release: () => Promise<void> }> {
  let unlock = () => {};
  let holding = () => {};
  const held = new Promise<void>((resolve) => (holding = resolve));
  const done = stack.store.db.transaction(async (tx) => {
    await tx.execute(sql`select tank_id from tank_locations where tank_id = ${tankId} for update`);
    holding();
    await new Promise<void>((resolve) => (unlock = resolve));
  });
  await held;
  return {
    release: async () => {
      unlock();
      await done;
    },
  };
}

describe('tankworld_tube_moves_in_flight', () => {
  it('should count a fish on its way, in neither tank, until it lands', async () => {
    const a = await tank('Counted A');
    const b = await tank('Counted B');
    await stack.json(`/api/tanks/${a}/connections`, 201, {
      method: 'POST',
      user: 'alice',
      body: { to_tank_id: b, mouth: 'left', rate_per_minute: 600 },
    });
    const host = stack.servers[0]!.server.host;
    await waitFor(() => host.get(a)!.world.mouths.length === 1, { what: 'the mouth' });
    expect(await movesInFlight()).toBe(0);
    const lock = await lockLocation(b);
    try {
      const { uid } = await stack.json<{ uid: string }>(`/api/tanks/${a}/fish`, 201, {
        method: 'POST',
        user: 'alice',
        body: { genome: { wanderlust: 1 }, x: 30, y: 250 },
      });
      await waitFor(() => !census(a, b).has(uid), { what: 'the fish out of its world' });
      // A census now misses it: whoever counts fish by tank waits for the gauge to be 0.
      expect(await movesInFlight()).toBe(1);
      await lock.release();
      await waitFor(async () => (await movesInFlight()) === 0, { what: 'the move done' });
      expect(census(a, b).get(uid)).toBe(b);
    } finally {
      await lock.release();
    }
  });
});
