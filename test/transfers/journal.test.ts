/**
 * @module
 * The transfer journal: steps write no snapshot, so a restore from a snapshot older than a
 * transfer must replay the tank's settled reservations (a fish gone, arrived, put back), and a
 * newer snapshot must drop the entries it covers. Two in-process servers whose snapshotter
 * stays idle unless asked, so the snapshots are exactly the ones the test takes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { reconcileWorld } from '../../src/server/transfers/index.ts';
import { latestSnapshot, listReservations } from '../../src/store/index.ts';
import { decodeTankSnapshot } from '../../src/tank/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, startRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  rig = await startRig({ cleanup, databaseUrl: db.url });
  await rig.startServer('server-1', { snapshotIntervalMs: 600_000 });
  await rig.startServer('server-2', { snapshotIntervalMs: 600_000 });
});

async function submit(source: string, dest: string, entityId: number) {
  const serverOf = (id: string) => [...rig.servers.values()].find((s) => s.host.get(id))!.serverId;
  return rig.coordinator.submit({
    request: { source_tank_id: source, dest_tank_id: dest, entity_id: entityId, entity_type: 'fish' },
    key: undefined,
    requestedBy: 'alice',
    sourceServer: serverOf(source),
    destServer: serverOf(dest),
  });
}

/** The tank's world as a restore from its newest snapshot plus the journal makes it. */
async function restoredWorld(tankId: string) {
  const snapshot = await latestSnapshot(rig.store.db, tankId);
  const { world } = decodeTankSnapshot(snapshot!.state);
  await reconcileWorld(rig.store.db, tankId, world);
  return world;
}

/** The tank's fish as a restore from its newest snapshot plus the journal would have them. */
async function restored(tankId: string): Promise<string[]> {
  const world = await restoredWorld(tankId);
  return world.fish.uid.slice(0, world.fish.count).sort();
}

const journal = async (tankId: string) =>
  (await listReservations(rig.store.db, { tankId, settled: true })).map((r) => [r.role, r.state]);

async function takeSnapshot(serverId: string, tankId: string): Promise<void> {
  const server = rig.servers.get(serverId)!;
  const res = await server.fetch(
    new Request(`${server.url}/api/tanks/${tankId}/snapshots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.token}` },
    }),
  );
  expect(res.status).toBe(201);
}

describe('the transfer journal', () => {
  it('should bring every fish back where it is after a restore from an older snapshot', async () => {
    const a = await rig.createTank('server-1', { fish: 4 });
    const b = await rig.createTank('server-2', { fish: 3 });
    const full = await rig.createTank('server-2', { fish: 2, maxFish: 2 });
    const [gone, back] = rig.ids(a);

    expect((await submit(a, b, gone!)).status).toBe(200);
    // The full destination refuses: the held fish is put back by the abort.
    expect((await submit(a, full, back!)).status).toBe(409);

    expect(await journal(a)).toEqual([
      ['source', 'departed'],
      ['source', 'returned'],
    ]);
    expect(await journal(b)).toEqual([['dest', 'arrived']]);
    // The newest snapshots are from before both transfers: the journal makes up the difference.
    expect(await restored(a)).toEqual([...rig.uids(a)].sort());
    expect(await restored(b)).toEqual([...rig.uids(b)].sort());
    expect(await restored(full)).toEqual([...rig.uids(full)].sort());
    expect((await rig.audit()).ok).toBe(true);
  });

  it('should never give a newborn the uid of a fish born after the snapshot that has left', async () => {
    const a = await rig.createTank('server-1', { fish: 2 });
    const b = await rig.createTank('server-2', { fish: 2 });
    const server = rig.servers.get('server-1')!;
    const res = await server.fetch(
      new Request(`${server.url}/api/tanks/${a}/fish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    expect(res.status).toBe(201);
    const born = (await res.json()) as { id: number; uid: string };
    expect((await submit(a, b, born.id)).status).toBe(200);
    // The snapshot is from before the birth: its uid counter would hand the same uid out again.
    const snapshot = await latestSnapshot(rig.store.db, a);
    const counter = Number.parseInt(born.uid.split('.').pop()!, 36);
    expect(decodeTankSnapshot(snapshot!.state).world.nextUid).toBeLessThanOrEqual(counter);
    expect((await restoredWorld(a)).nextUid).toBeGreaterThan(counter);
  });

  it('should drop the entries a newer snapshot covers, and restore the same fish from it', async () => {
    const a = await rig.createTank('server-1', { fish: 3 });
    const b = await rig.createTank('server-2', { fish: 3 });
    expect((await submit(a, b, rig.ids(a)[0]!)).status).toBe(200);
    expect(await journal(a)).toHaveLength(1);

    await takeSnapshot('server-1', a);
    await takeSnapshot('server-2', b);
    expect(await journal(a)).toEqual([]);
    expect(await journal(b)).toEqual([]);
    expect(await restored(a)).toEqual([...rig.uids(a)].sort());
    expect(await restored(b)).toEqual([...rig.uids(b)].sort());
  });
});
