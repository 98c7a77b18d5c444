/**
 * @module
 * A transfer held room in a tank, then the tank was put back to an older snapshot where fish
 * that had died since are alive again, so it is at its maxFish (or over) with the room still
 * held. A restart does the same (its journal replay keeps arrivals, undoes deaths); an admin's
 * restore is the in-process way to get there. The held room is the fish's: the commit's arrival,
 * or the abort's fish coming home, must still go in. Before, both were refused as `tank_full`
 * on every retry and, in a paused tank (nothing dies), the transfer never ended — the tube
 * soak's "transfers still in flight after 60 s".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { extractEntity } from '../../src/sim/index.ts';
import { getReservation, getTransfer, listUnfinishedTransfers } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, startQuietRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;
let armed: Set<string>;

beforeAll(async () => {
  ({ rig, armed } = await startQuietRig({ cleanup, databaseUrl: (await useDatabase({ cleanup })).url }));
});

const worldOf = (tankId: string) => rig.serverOf(tankId).host.get(tankId)!.world;

/** A fish of the tank dies (after the snapshot: the restore brings it back). */
const die = (tankId: string, uid: string) => extractEntity(worldOf(tankId), uid);

async function expectExactlyOnce(): Promise<void> {
  const report = await rig.audit();
  expect(report.duplicated).toEqual([]);
  expect(report.ok).toBe(true);
}

describe('a transfer whose held room is all the tank has left after a restore', () => {
  it('should commit the arrival into a tank the restore filled to its maxFish', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3, maxFish: 4 });
    const snapshot = await rig.takeSnapshot(d);
    // A fish of d dies and an arrival takes its room.
    die(d, rig.uids(d)[0]!);
    expect((await rig.submit(c, d, rig.ids(c)[0]!)).status).toBe(200);
    // A second arrival prepared (its room held: 3 fish + 1 = maxFish), its coordinator gone.
    const uid = rig.uids(c)[0]!;
    armed.add('after_prepare');
    await expect(rig.submit(c, d, rig.ids(c)[0]!)).rejects.toThrow(/after_prepare/);
    const [pending] = (await listUnfinishedTransfers(rig.store.db)).filter((t) => t.destTankId === d);
    expect(pending?.status).toBe('prepared');

    await rig.restore(d, snapshot);
    // The dead fish is back and the first arrival kept: full, with the room still held.
    expect(rig.uids(d)).toHaveLength(4);
    expect(worldOf(d).heldSlots).toBe(1);

    await rig.recovery.pass({ all: true });
    expect((await getTransfer(rig.store.db, pending!.transferId))?.transfer.status).toBe('committed');
    expect(rig.uids(d)).toContain(uid);
    expect(rig.uids(c)).not.toContain(uid);
    expect(worldOf(d).heldSlots).toBe(0);
    await expectExactlyOnce();
  });

  it('should put a held fish back when the transfer aborts into a tank the restore filled', async () => {
    const c = await rig.createTank('server-1', { fish: 3, maxFish: 4 });
    const d = await rig.createTank('server-2', { fish: 4 });
    const snapshot = await rig.takeSnapshot(c);
    const [held, ...others] = rig.uids(c) as [string, ...string[]];
    const entityId = rig.ids(c)[0]!;
    // The coordinator died right after the source held the fish: it will presume abort.
    const transferId = await rig.logTransfer(c, d, entityId);
    await rig.participants.prepareSource('server-1', transferId, {
      tank_id: c,
      entity_id: entityId,
    });
    // Both other fish die; two arrivals take their room.
    for (const uid of others) die(c, uid);
    for (let n = 0; n < 2; n++) expect((await rig.submit(d, c, rig.ids(d)[0]!)).status).toBe(200);

    await rig.restore(c, snapshot);
    // The dead are back, the arrivals kept, the held fish still out: full, its slot held.
    expect(rig.uids(c)).toHaveLength(4);
    expect(rig.uids(c)).not.toContain(held);
    expect(worldOf(c).heldSlots).toBe(1);

    await rig.recovery.pass({ all: true });
    expect((await getTransfer(rig.store.db, transferId))?.transfer.status).toBe('aborted');
    const source = await getReservation(rig.store.db, { transferId: transferId, role: 'source' });
    expect(source?.state).toBe('returned');
    expect(rig.uids(c)).toContain(held);
    expect(worldOf(c).heldSlots).toBe(0);
    await expectExactlyOnce();
  });
});
