/**
 * @module
 * The transfer journal: steps write no snapshot, so a restore from a snapshot older than a
 * transfer must replay the tank's settled reservations (a fish gone, arrived, put back), and a
 * newer snapshot must drop the entries it covers, and an entry it covers moves no fish (the
 * snapshot shows where the fish is). Two in-process servers whose snapshotter stays idle unless
 * asked, so the snapshots are exactly the ones the test takes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { reconcileWorld } from '../../src/server/transfers/index.ts';
import { latestSnapshot, listReservations } from '../../src/store/index.ts';
import { decodeTankSnapshot } from '../../src/tank/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, startQuietRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;
let armed: Set<string>;

beforeAll(async () => {
  ({ rig, armed } = await startQuietRig({ cleanup, databaseUrl: (await useDatabase({ cleanup })).url }));
});

/** The tank's world as a restart makes it: its newest snapshot, then the journal after it. */
async function restoredWorld(tankId: string) {
  const snapshot = await latestSnapshot(rig.store.db, tankId);
  const { world, journalSeq } = decodeTankSnapshot(snapshot!.state);
  await reconcileWorld(rig.store.db, tankId, world, journalSeq);
  return world;
}

/** The tank's fish as a restore from its newest snapshot plus the journal would have them. */
async function restored(tankId: string): Promise<string[]> {
  const world = await restoredWorld(tankId);
  return world.fish.uid.slice(0, world.fish.count).sort();
}

const journal = async (tankId: string) =>
  (await listReservations(rig.store.db, { tankId, settled: true })).map((r) => [r.role, r.state]);

describe('the transfer journal', () => {
  it('should bring every fish back where it is after a restore from an older snapshot', async () => {
    const a = await rig.createTank('server-1', { fish: 4 });
    const b = await rig.createTank('server-2', { fish: 3 });
    const full = await rig.createTank('server-2', { fish: 2, maxFish: 2 });
    const [gone, back] = rig.ids(a);

    expect((await rig.submit(a, b, gone!)).status).toBe(200);
    // The full destination refuses: the held fish is put back by the abort.
    expect((await rig.submit(a, full, back!)).status).toBe(409);

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
    const res = await rig.post(a, '/fish', {});
    expect(res.status).toBe(201);
    const born = (await res.json()) as { id: number; uid: string };
    expect((await rig.submit(a, b, born.id)).status).toBe(200);
    // The snapshot is from before the birth: its uid counter would hand the same uid out again.
    const snapshot = await latestSnapshot(rig.store.db, a);
    const counter = Number.parseInt(born.uid.split('.').pop()!, 36);
    expect(decodeTankSnapshot(snapshot!.state).world.nextUid).toBeLessThanOrEqual(counter);
    expect((await restoredWorld(a)).nextUid).toBeGreaterThan(counter);
  });

  it('should drop the entries a newer snapshot covers, and restore the same fish from it', async () => {
    const a = await rig.createTank('server-1', { fish: 3 });
    const b = await rig.createTank('server-2', { fish: 3 });
    expect((await rig.submit(a, b, rig.ids(a)[0]!)).status).toBe(200);
    expect(await journal(a)).toHaveLength(1);

    await rig.takeSnapshot(a);
    await rig.takeSnapshot(b);
    expect(await journal(a)).toEqual([]);
    expect(await journal(b)).toEqual([]);
    expect(await restored(a)).toEqual([...rig.uids(a)].sort());
    expect(await restored(b)).toEqual([...rig.uids(b)].sort());
  });

  it('should keep a fish that came back home before the commit of its leaving', async () => {
    // The fish leaves a for b; the coordinator dies after b took it, so a still holds the
    // transfer open. The fish comes straight back; a snapshot shows it home; then recovery
    // commits the first transfer (`departed`, at the position of its prepare). A restart from
    // that snapshot must keep it: by presence alone the replay took it out, and it was lost.
    const a = await rig.createTank('server-1', { fish: 3 });
    const b = await rig.createTank('server-2', { fish: 3 });
    const uid = rig.uids(a)[0]!;
    armed.add('after_dest_commit');
    await rig.submit(a, b, rig.ids(a)[0]!).catch(() => undefined);
    expect(rig.uids(b)).toContain(uid);
    const home = await rig.submit(b, a, rig.ids(b)[rig.uids(b).indexOf(uid)]!);
    expect(home.status).toBe(200);
    await rig.takeSnapshot(a);
    expect(await journal(a)).toEqual([['source', 'open']]);

    await rig.recovery.pass({ all: true });
    expect(await journal(a)).toEqual([['source', 'departed']]);
    expect(rig.uids(a)).toContain(uid);
    expect(await restored(a)).toEqual([...rig.uids(a)].sort());
    expect((await rig.audit()).ok).toBe(true);
  });

  it('should number a restarted tank’s journal on from its snapshot’s position', async () => {
    const a = await rig.createTank('server-1', { fish: 3 });
    const b = await rig.createTank('server-2', { fish: 3 });
    expect((await rig.submit(a, b, rig.ids(a)[0]!)).status).toBe(200);
    // A clean stop saves every tank: the journal is empty, the snapshot at the tank's position.
    await rig.serverOf(a).stop();
    await rig.startServer('server-1', { snapshotIntervalMs: 600_000 });
    expect(await journal(a)).toEqual([]);
    const covered = decodeTankSnapshot((await latestSnapshot(rig.store.db, a))!.state).journalSeq;
    expect(covered).toBeGreaterThan(0);
    // A fish arriving after the restart: its entry comes after what the snapshot covers (it once
    // started again from 1, and a replay from this snapshot would then have skipped it).
    expect((await rig.submit(b, a, rig.ids(b)[0]!)).status).toBe(200);
    const [entry] = await listReservations(rig.store.db, { tankId: a, settled: true });
    expect(entry!.seq).toBeGreaterThan(covered);
    expect(await restored(a)).toEqual([...rig.uids(a)].sort());
  });
});
