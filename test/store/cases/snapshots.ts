/**
 * @module
 * Contract cases for `tank_snapshots`: fenced batch writes and the newest-per-tank reads.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createLocation,
  getSnapshot,
  latestSnapshot,
  latestSnapshotsForServer,
  listSnapshots,
  moveTank,
  type NewSnapshot,
  pruneSnapshots,
  saveSnapshots,
  type TankRow,
} from '../../../src/store/index.ts';
import { anyDate, newTank, rejection, type StoreFixture, serverId } from '../fixtures.ts';

/** A state with the JSON shapes a snapshot holds: nesting, arrays, floats, unicode, null. */
function state(frame: number) {
  return { frame, fish: [{ uid: `f-${frame}`, x: 1.5, genome: [0.25, -3] }], note: 'écume 🐟', food: null };
}

function snap(tank: TankRow, server: string, epoch: number, frame: number): NewSnapshot {
  return { tankId: tank.tankId, serverId: server, epoch, frame, state: state(frame) };
}

export function snapshotCases(fixture: StoreFixture): void {
  async function placed(server: string): Promise<TankRow> {
    const tank = await newTank(fixture);
    await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
    return tank;
  }

  describe('tank snapshots', () => {
    it('should save a batch and read each snapshot back whole', async () => {
      const server = serverId();
      const [a, b] = [await placed(server), await placed(server)];
      const snapshotId = randomUUID();
      const result = await saveSnapshots(fixture.db, [
        { ...snap(a, server, 1, 10), snapshotId },
        snap(b, server, 1, 20),
      ]);
      expect(result.fenced).toEqual([]);
      expect(result.saved).toEqual([
        { snapshotId, tankId: a.tankId, serverId: server, epoch: 1, frame: 10, createdAt: anyDate },
        {
          snapshotId: expect.any(String),
          tankId: b.tankId,
          serverId: server,
          epoch: 1,
          frame: 20,
          createdAt: anyDate,
        },
      ]);
      expect(await getSnapshot(fixture.db, snapshotId)).toEqual({ ...result.saved[0], state: state(10) });
      expect(await getSnapshot(fixture.db, randomUUID())).toBeUndefined();
    });

    it('should refuse and report a write with a stale epoch (fencing)', async () => {
      const [old, fresh] = [serverId('old'), serverId('new')];
      const [moved, kept] = [await placed(old), await placed(old)];
      await moveTank(fixture.db, { tankId: moved.tankId, toServerId: fresh, expectedEpoch: 1 });
      const result = await saveSnapshots(fixture.db, [snap(moved, old, 1, 50), snap(kept, old, 1, 50)]);
      expect(result.fenced).toEqual([moved.tankId]);
      expect(result.saved.map((s) => s.tankId)).toEqual([kept.tankId]);
      expect(await listSnapshots(fixture.db, moved.tankId)).toEqual([]);
    });

    it('should fence a write from the right server with an old epoch, and one for a tank with no location', async () => {
      const server = serverId();
      const tank = await placed(server);
      await moveTank(fixture.db, { tankId: tank.tankId, toServerId: server, expectedEpoch: 1 });
      const homeless = await newTank(fixture);
      const result = await saveSnapshots(fixture.db, [
        snap(tank, server, 1, 5),
        snap(homeless, server, 1, 5),
      ]);
      expect(result).toEqual({ saved: [], fenced: [tank.tankId, homeless.tankId] });
      const ok = await saveSnapshots(fixture.db, [snap(tank, server, 2, 6)]);
      expect(ok.fenced).toEqual([]);
    });

    it('should do nothing for an empty batch, fence a malformed tank id and refuse a malformed snapshot id', async () => {
      expect(await saveSnapshots(fixture.db, [])).toEqual({ saved: [], fenced: [] });
      const row = { tankId: 'nope', serverId: 's', epoch: 1, frame: 1, state: {} };
      expect(await saveSnapshots(fixture.db, [row])).toEqual({ saved: [], fenced: ['nope'] });
      const err = await rejection(
        saveSnapshots(fixture.db, [{ ...row, tankId: randomUUID(), snapshotId: 'x' }]),
      );
      expect(err.code).toBe('invalid_request');
    });

    it('should return the newest snapshot of a tank', async () => {
      const server = serverId();
      const tank = await placed(server);
      for (const frame of [1, 2, 3]) await saveSnapshots(fixture.db, [snap(tank, server, 1, frame)]);
      expect(await latestSnapshot(fixture.db, tank.tankId)).toEqual({
        snapshotId: expect.any(String),
        tankId: tank.tankId,
        serverId: server,
        epoch: 1,
        frame: 3,
        state: state(3),
        createdAt: anyDate,
      });
      expect(await latestSnapshot(fixture.db, randomUUID())).toBeUndefined();
    });

    it('should list metadata newest first, without states', async () => {
      const server = serverId();
      const tank = await placed(server);
      for (const frame of [1, 2, 3]) await saveSnapshots(fixture.db, [snap(tank, server, 1, frame)]);
      const listed = await listSnapshots(fixture.db, tank.tankId);
      expect(listed.map((s) => s.frame)).toEqual([3, 2, 1]);
      expect(listed[0]).toEqual({
        snapshotId: expect.any(String),
        tankId: tank.tankId,
        serverId: server,
        epoch: 1,
        frame: 3,
        createdAt: anyDate,
      });
      expect(await listSnapshots(fixture.db, tank.tankId, { limit: 1 })).toEqual([listed[0]]);
    });

    it('should give a server the newest snapshot of each tank located there, whoever wrote it', async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      const [stays, moves, elsewhere] = [await placed(a), await placed(a), await placed(b)];
      const bare = await placed(a);
      for (const frame of [1, 2]) {
        await saveSnapshots(fixture.db, [
          snap(stays, a, 1, frame),
          snap(moves, a, 1, frame * 10),
          snap(elsewhere, b, 1, frame),
        ]);
      }
      // Failover: `moves` goes to b, which restores from what a saved.
      await moveTank(fixture.db, { tankId: moves.tankId, toServerId: b, expectedEpoch: 1 });
      const onA = await latestSnapshotsForServer(fixture.db, a);
      expect(onA).toEqual([
        {
          snapshotId: expect.any(String),
          tankId: stays.tankId,
          serverId: a,
          epoch: 1,
          frame: 2,
          state: state(2),
          createdAt: anyDate,
        },
      ]);
      const onB = await latestSnapshotsForServer(fixture.db, b);
      const expected = [
        {
          snapshotId: expect.any(String),
          tankId: moves.tankId,
          serverId: a,
          epoch: 1,
          frame: 20,
          state: state(20),
          createdAt: anyDate,
        },
        {
          snapshotId: expect.any(String),
          tankId: elsewhere.tankId,
          serverId: b,
          epoch: 1,
          frame: 2,
          state: state(2),
          createdAt: anyDate,
        },
      ].sort((x, y) => (x.tankId < y.tankId ? -1 : 1));
      expect(onB).toEqual(expected);
      expect(onA.map((s) => s.tankId)).not.toContain(bare.tankId);
    });

    it('should prune all but the newest snapshots of each tank', async () => {
      const server = serverId();
      const [a, b] = [await placed(server), await placed(server)];
      for (let frame = 1; frame <= 5; frame++)
        await saveSnapshots(fixture.db, [snap(a, server, 1, frame), snap(b, server, 1, frame)]);
      expect(await pruneSnapshots(fixture.db, { keep: 2, tankId: a.tankId })).toBe(3);
      expect((await listSnapshots(fixture.db, a.tankId)).map((s) => s.frame)).toEqual([5, 4]);
      expect((await listSnapshots(fixture.db, b.tankId)).map((s) => s.frame)).toEqual([5, 4, 3, 2, 1]);
      await pruneSnapshots(fixture.db, { keep: 0 });
      expect((await listSnapshots(fixture.db, a.tankId)).map((s) => s.frame)).toEqual([5]);
      expect((await listSnapshots(fixture.db, b.tankId)).map((s) => s.frame)).toEqual([5]);
    });
  });
}
