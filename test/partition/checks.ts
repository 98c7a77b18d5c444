/**
 * @module
 * The steps the partition tests share, each a check of the documented outcome
 * (docs/partitions.md): the island's tanks come up on the mainland one epoch on; the island's
 * viewers see no frame past the one they had and are told it is fenced; and once it can reach
 * Consul and PostgreSQL again the island rejoins clean and the audit finds each fish once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'vitest';
import { type Cleanup, waitFor } from '../support/index.ts';
import {
  FENCED,
  type FrameViewer,
  ISLAND,
  type Lookup,
  MAINLAND,
  PASSES,
  type PartitionFleet,
  request,
  watchTank,
} from './fleet.ts';

/** A fish-holding tank's uids, as the gateway answers for it. */
export async function fishUids(fleet: PartitionFleet, tankId: string): Promise<string[]> {
  const { entities } = await fleet.call<{ entities: Array<{ kind: string; uid?: string }> }>(
    'GET',
    `/api/tanks/${tankId}/entities`,
    200,
  );
  return entities
    .filter((e) => e.kind === 'fish')
    .map((e) => e.uid as string)
    .sort();
}

/**
 * Pauses a tank and snapshots it as it stands, so its restored copy must hold exactly these
 * fish (no birth or death can fall between the snapshot and the fault); returns them.
 */
export async function freeze(fleet: PartitionFleet, tankId: string): Promise<string[]> {
  await fleet.call('POST', `/api/tanks/${tankId}/pause`, 200);
  await fleet.call('POST', `/api/tanks/${tankId}/snapshots`, 201);
  const uids = await fishUids(fleet, tankId);
  expect(uids.length).toBeGreaterThan(0);
  return uids;
}

/** The island's lease as its own `/health` reports it (`held`, `fenced`, `starting`). */
export async function islandLease(fleet: PartitionFleet): Promise<string> {
  const res = await request(`${fleet.island.url}/health`);
  return ((await res.json()) as { lease: string }).lease;
}

/** A viewer of a tank on the island with a few frames in, closed by `cleanup`. */
export async function watchOnIsland(
  fleet: PartitionFleet,
  tank: Lookup,
  cleanup: Cleanup,
): Promise<FrameViewer> {
  expect(tank.server.server_id).toBe(ISLAND);
  const viewer = watchTank(tank.websocket_url, fleet.token);
  cleanup.add(() => viewer.ws.terminate());
  await waitFor(() => viewer.count() >= 3, {
    what: `frames of ${tank.tank.tank_id} from the island`,
    timeout: 20_000,
  });
  return viewer;
}

/** Waits until the gateway names the mainland for every tank, each one epoch on or more. */
export async function expectMovedToMainland(
  fleet: PartitionFleet,
  tanks: readonly Lookup[],
): Promise<Lookup[]> {
  const moved = await waitFor(
    async () => {
      const now = await Promise.all(tanks.map((t) => fleet.lookup(t.tank.tank_id)));
      return now.every((l) => l?.server.server_id === MAINLAND) ? (now as Lookup[]) : undefined;
    },
    { what: "the island's tanks restored on the mainland", timeout: 40_000, interval: 200 },
  );
  for (const [i, l] of moved.entries()) expect(l.tank.epoch).toBeGreaterThan(tanks[i]!.tank.epoch);
  // The location moves first, then the mainland is asked to adopt: wait for it to hold them.
  await waitFor(
    async () => {
      const held = await fleet.census(MAINLAND);
      return tanks.every((t) => held.has(t.tank.tank_id));
    },
    { what: "the mainland running the island's tanks", timeout: 20_000 },
  );
  return moved;
}

/**
 * The island's viewer, from the moment its tank moved: told `fenced` and closed with 4503, and
 * never a frame past `frame` (the one it had when the tank moved): no fork was streamed.
 */
export async function expectFenced(viewer: FrameViewer, frame: number): Promise<void> {
  // Bounded: a server that never tells its viewers fails the checks below, not the timeout.
  const closed = await Promise.race([viewer.closed, delay(20_000, undefined, { ref: false })]);
  expect(viewer.lastFrame(), 'the island streamed frames of a tank that had moved (a fork)').toBe(frame);
  expect(
    viewer.texts.find((m) => m.type === FENCED.type),
    'a fenced message to the viewer',
  ).toBeDefined();
  expect(closed?.code, 'the close code of a fenced server').toBe(FENCED.code);
}

/**
 * The island rejoined clean: passing in Consul again, holding none of the moved tanks, the
 * audit over both servers finding each fish once, and a new tank placed on it streaming.
 */
export async function expectRejoinedClean(
  fleet: PartitionFleet,
  moved: readonly Lookup[],
  cleanup: Cleanup,
): Promise<void> {
  await waitFor(async () => PASSES.has((await fleet.health(ISLAND)) ?? ''), {
    what: 'the island passing in Consul again',
    timeout: 30_000,
  });
  await waitFor(
    async () => {
      const held = await fleet.census(ISLAND);
      return moved.every((t) => !held.has(t.tank.tank_id));
    },
    { what: 'the island dropping the tanks that moved', timeout: 30_000 },
  );
  await waitFor(async () => (await islandLease(fleet)) === 'held', {
    what: 'the island holding its lease again',
  });
  const report = await waitFor(
    async () => {
      const r = await fleet.audit();
      return r.servers.includes(ISLAND) ? r : undefined;
    },
    { what: 'the island online again in the servers table', timeout: 20_000 },
  );
  expect(report.servers.sort()).toEqual([ISLAND, MAINLAND]);
  expect(report.unreachable).toEqual([]);
  expect(report.duplicated).toEqual([]);
  expect(report.ok).toBe(true);
  const created = await placeOnIsland(fleet);
  const viewer = watchTank(created.websocket_url, fleet.token);
  cleanup.add(() => viewer.ws.terminate());
  await waitFor(() => viewer.count() >= 3, { what: 'frames of a new tank on the island', timeout: 20_000 });
}

/**
 * Creates tanks until one is placed on the island, which holds none now (placement prefers the
 * fewest tanks unless a server's CPU reads clearly busier); at most five, each after a fresh
 * load report of the island, since one just back from a fence may report its recovery as load.
 */
async function placeOnIsland(fleet: PartitionFleet): Promise<Lookup> {
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    const created = await fleet.call<Lookup>('POST', '/api/tanks', 201, { name: `After ${i}`, seed: 77 + i });
    if (created.server.server_id === ISLAND) return created;
    const before = await fleet.server(ISLAND);
    seen.push(`${created.server.server_id} (island: ${JSON.stringify(before)})`);
    await waitFor(async () => (await fleet.server(ISLAND))?.load?.updated_at !== before?.load?.updated_at, {
      what: 'a new load report of the island',
      timeout: 10_000,
    });
  }
  throw new Error(`no new tank was placed on the rejoined island: ${seen.join('; ')}`);
}
