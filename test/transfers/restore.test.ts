/**
 * @module
 * An admin's snapshot restore (`POST /api/tanks/:id/snapshots/:sid/restore`) and transfers:
 * the restore takes the tank's own history back in time, but every fish still lives in exactly
 * one place. A fish that left by a transfer after the snapshot is not brought back, one that
 * arrived after it is kept, one held by a transfer in flight stays held, and no uid the tank has
 * handed out is handed out again. Two in-process servers whose snapshotter stays idle unless
 * asked, so the snapshots are exactly the ones the test takes; the tanks are paused, so nothing
 * is born or dies unless the test says so.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { extractEntity } from '../../src/sim/index.ts';
import { getTransfer, setTransferStatus } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, startQuietRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;
let armed: Set<string>;

beforeAll(async () => {
  ({ rig, armed } = await startQuietRig({ cleanup, databaseUrl: (await useDatabase({ cleanup })).url }));
});

/** A fish born in the tank now (a birth the snapshot taken before does not show). */
async function spawn(tankId: string): Promise<{ id: number; uid: string }> {
  const res = await rig.post(tankId, '/fish', {});
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; uid: string };
}

/** Every fish of these tanks, sorted: one uid found twice shows up twice. */
const census = (...tankIds: string[]) => tankIds.flatMap((id) => rig.uids(id)).sort();

/** The audit by uid: no uid in two places (tanks or transfer holds), nor any server unasked. */
async function expectExactlyOnce(): Promise<void> {
  const report = await rig.audit();
  expect(report.duplicated).toEqual([]);
  expect(report.ok).toBe(true);
}

describe('a snapshot restore after transfers', () => {
  it('should not bring back a fish that left by a committed transfer after the snapshot', async () => {
    const c = await rig.createTank('server-1', { fish: 4 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const snapshot = await rig.takeSnapshot(c);
    const stayed = rig.uids(c).slice(1);
    const left = rig.uids(c)[0]!;
    expect((await rig.submit(c, d, rig.ids(c)[0]!)).status).toBe(200);
    // A newer snapshot covers the departure, so the journal no longer holds it.
    await rig.takeSnapshot(c);
    const before = census(c, d);

    await rig.restore(c, snapshot);

    expect(rig.uids(c)).not.toContain(left);
    expect(rig.uids(d)).toContain(left);
    expect([...rig.uids(c)].sort()).toEqual([...stayed].sort());
    expect(census(c, d)).toEqual(before);
    await expectExactlyOnce();
  });

  it('should keep a fish that arrived after the snapshot, and take the local history back', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const snapshot = await rig.takeSnapshot(c);
    const original = rig.uids(c);
    const arrived = rig.uids(d)[0]!;
    expect((await rig.submit(d, c, rig.ids(d)[0]!)).status).toBe(200);
    // Local history after the snapshot: a birth, and a death (a fish that never travelled).
    const born = await spawn(c);
    const died = original[0]!;
    extractEntity(rig.serverOf(c).host.get(c)!.world, died);
    await rig.takeSnapshot(c);

    await rig.restore(c, snapshot);

    expect(rig.uids(c)).toContain(arrived);
    expect(rig.uids(d)).not.toContain(arrived);
    // The birth is undone and the death too: the snapshot's own fish are all back.
    expect(rig.uids(c)).not.toContain(born.uid);
    expect([...rig.uids(c)].sort()).toEqual([...original, arrived].sort());
    await expectExactlyOnce();
    // The arrival stays across a restart from the newest snapshot (the restored world).
    await rig.takeSnapshot(c);
    await rig.serverOf(c).stop();
    await rig.startServer('server-1', { snapshotIntervalMs: 600_000 });
    expect([...rig.uids(c)].sort()).toEqual([...original, arrived].sort());
    await expectExactlyOnce();
  });

  it('should never hand out again the uid of a fish born after the snapshot that has left', async () => {
    const c = await rig.createTank('server-1', { fish: 2 });
    const d = await rig.createTank('server-2', { fish: 2 });
    const snapshot = await rig.takeSnapshot(c);
    const born = await spawn(c);
    expect((await rig.submit(c, d, born.id)).status).toBe(200);

    await rig.restore(c, snapshot);

    expect(rig.uids(c)).not.toContain(born.uid);
    expect(rig.uids(d)).toContain(born.uid);
    const next = await spawn(c);
    expect(next.uid).not.toBe(born.uid);
    // Nor the local id a client may still use for the fish that left.
    expect(next.id).not.toBe(born.id);
    await expectExactlyOnce();
  });
});

describe('a snapshot restore during a transfer in flight', () => {
  it('should keep a fish held by a prepared transfer held, so the commit moves it once', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const snapshot = await rig.takeSnapshot(c);
    const uid = rig.uids(c)[0]!;
    armed.add('after_prepare');
    await expect(rig.submit(c, d, rig.ids(c)[0]!)).rejects.toThrow(/after_prepare/);
    expect(rig.uids(c)).not.toContain(uid);

    await rig.restore(c, snapshot);

    expect(rig.uids(c)).not.toContain(uid);
    expect(rig.serverOf(c).host.get(c)!.world.heldSlots).toBe(1);
    await expectExactlyOnce();
    await rig.recovery.pass({ all: true });
    expect(rig.uids(c)).not.toContain(uid);
    expect(rig.uids(d)).toContain(uid);
    expect(rig.serverOf(c).host.get(c)!.world.heldSlots).toBe(0);
    await expectExactlyOnce();
  });

  it('should keep a held fish held until an abort puts it back once', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const snapshot = await rig.takeSnapshot(c);
    const uid = rig.uids(c)[0]!;
    const entityId = rig.ids(c)[0]!;
    // The coordinator died right after the source held the fish: it will presume abort.
    const transferId = await rig.logTransfer(c, d, entityId);
    await rig.participants.prepareSource('server-1', transferId, {
      tank_id: c,
      entity_id: entityId,
    });

    await rig.restore(c, snapshot);

    expect(rig.uids(c)).not.toContain(uid);
    await expectExactlyOnce();
    await rig.recovery.pass({ all: true });
    expect((await getTransfer(rig.store.db, transferId))?.transfer.status).toBe('aborted');
    expect(rig.uids(c).filter((u) => u === uid)).toHaveLength(1);
    expect(rig.uids(d)).not.toContain(uid);
    expect(rig.serverOf(c).host.get(c)!.world.heldSlots).toBe(0);
    await expectExactlyOnce();
  });

  it('should leave a fish on its way in out until its commit, then keep it', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const snapshot = await rig.takeSnapshot(c);
    const uid = rig.uids(d)[0]!;
    const entityId = rig.ids(d)[0]!;
    const transferId = await rig.logTransfer(d, c, entityId);
    const held = await rig.participants.prepareSource('server-2', transferId, {
      tank_id: d,
      entity_id: entityId,
    });
    await rig.participants.prepareDest('server-1', transferId, {
      tank_id: c,
      payload: held.payload,
    });
    await setTransferStatus(rig.store.db, {
      transferId: transferId,
      status: 'prepared',
      entityUid: uid,
      entityPayload: held.payload,
      oldId: held.old_id ?? entityId,
    });

    await rig.restore(c, snapshot);

    // The room promised to the arrival is still held.
    expect(rig.serverOf(c).host.get(c)!.world.heldSlots).toBe(1);
    await rig.recovery.pass({ all: true });
    expect(rig.uids(c)).toContain(uid);
    expect(rig.uids(d)).not.toContain(uid);
    expect(rig.serverOf(c).host.get(c)!.world.heldSlots).toBe(0);
    await expectExactlyOnce();
  });
});
