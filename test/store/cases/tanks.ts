/**
 * @module
 * Contract cases for `tanks`, `tank_locations` (epoch compare-and-set) and `tank_permissions`,
 * and the cascade when a tank is deleted.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  assertOwnership,
  ConflictError,
  countTanksByServer,
  countTanksOwnedBy,
  createLocation,
  createTank,
  deleteTank,
  getLocation,
  getTank,
  getTankWithLocation,
  grantPermission,
  InvalidValueError,
  listLocationsByServer,
  listPermissions,
  listReservations,
  listSnapshots,
  listTankOwners,
  listTanks,
  listTanksOnServer,
  moveTank,
  NotFoundError,
  permissionOf,
  permits,
  putReservation,
  recordTankStats,
  revokePermission,
  StaleEpochError,
  saveSnapshots,
  settleReservation,
  type TankRow,
} from '../../../src/store/index.ts';
import { anyDate, newTank, rejection, rowsOf, type StoreFixture, serverId } from '../fixtures.ts';

/** The listing's order: created_at, then tank id (tanks made in one millisecond tie on time). */
function byListingOrder(tanks: TankRow[]): TankRow[] {
  return [...tanks].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.tankId < b.tankId ? -1 : 1),
  );
}

export function tankCases(fixture: StoreFixture): void {
  describe('tanks', () => {
    it('should create a tank with its defaults and read it back', async () => {
      const tankId = randomUUID();
      const tank = await createTank(fixture.db, { tankId, name: 'Reef' });
      expect(tank).toEqual({
        tankId,
        name: 'Reef',
        description: '',
        owner: null,
        isPublic: true,
        allowTransfers: true,
        seed: null,
        createdAt: anyDate,
        fishCount: 0,
        generation: 0,
      });
      expect(await getTank(fixture.db, tankId)).toEqual(tank);
      expect(await getTank(fixture.db, randomUUID())).toBeUndefined();
      expect(await getTank(fixture.db, 'not-a-uuid')).toBeUndefined();
    });

    it('should read a tank with its location in one statement, and neither once deleted', async () => {
      const tank = await newTank(fixture);
      expect(await getTankWithLocation(fixture.db, tank.tankId)).toEqual({ tank, location: undefined });
      const server = serverId();
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      expect(await getTankWithLocation(fixture.db, tank.tankId)).toEqual({
        tank,
        location: await getLocation(fixture.db, tank.tankId),
      });
      expect((await getTankWithLocation(fixture.db, tank.tankId))?.location?.serverId).toBe(server);
      await deleteTank(fixture.db, tank.tankId);
      expect(await getTankWithLocation(fixture.db, tank.tankId)).toBeUndefined();
      expect(await getTankWithLocation(fixture.db, 'not-a-uuid')).toBeUndefined();
    });

    it("should count an owner's tanks through the owner index (the quota reads it at every create)", async () => {
      const owner = `quota-${randomUUID()}`;
      await newTank(fixture, { owner });
      await newTank(fixture, { owner });
      expect(await countTanksOwnedBy(fixture.db, owner)).toBe(2);
      const indexes = rowsOf<{ indexname: string }>(
        await fixture.db.execute(sql`select indexname from pg_indexes where tablename = 'tanks'`),
      ).map((r) => r.indexname);
      expect(indexes).toContain('tanks_owner_idx');
    });

    it('should keep a 32-bit unsigned seed exactly', async () => {
      const tank = await newTank(fixture, { seed: 4_294_967_295 });
      expect((await getTank(fixture.db, tank.tankId))?.seed).toBe(4_294_967_295);
    });

    it('should refuse a duplicate tank id with conflict', async () => {
      const tank = await newTank(fixture);
      const err = await rejection(createTank(fixture.db, { tankId: tank.tankId, name: 'Again' }));
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.code).toBe('conflict');
    });

    it('should refuse a NUL PostgreSQL cannot store with invalid_value, not store_failed', async () => {
      // The HTTP layer refuses these first; this is the last line behind it (a 400, never a 500).
      const written = await rejection(createTank(fixture.db, { tankId: randomUUID(), name: 'Reef\u0000' }));
      expect(written).toBeInstanceOf(InvalidValueError);
      expect(written.code).toBe('invalid_value');
      const tank = await newTank(fixture);
      const read = await rejection(permissionOf(fixture.db, { tankId: tank.tankId, userId: 'b\u0000b' }));
      expect(read.code).toBe('invalid_value');
    });

    it('should list tanks with their locations, page by page', async () => {
      const server = serverId();
      const tanks = [];
      for (let i = 0; i < 5; i++) {
        const tank = await newTank(fixture, { name: `T${i}` });
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
        tanks.push(tank);
      }
      const seen = [];
      let page = await listTanks(fixture.db, { serverId: server, limit: 2 });
      seen.push(...page.items);
      while (page.nextCursor) {
        expect(page.items).toHaveLength(2);
        page = await listTanks(fixture.db, { serverId: server, limit: 2, cursor: page.nextCursor });
        seen.push(...page.items);
      }
      expect(seen).toEqual(
        byListingOrder(tanks).map((tank) => ({
          tank,
          location: { tankId: tank.tankId, serverId: server, epoch: 1, createdAt: anyDate, migratedAt: null },
        })),
      );
    });

    it('should list a tank without a location with a null location', async () => {
      const tank = await newTank(fixture, { owner: `solo-${randomUUID()}`, isPublic: false });
      const page = await listTanks(fixture.db, { visibleTo: tank.owner!, limit: 500 });
      expect(page.items.filter((e) => !e.tank.isPublic)).toEqual([{ tank, location: null }]);
    });

    it('should list for a user only public tanks, their own and those shared with them', async () => {
      const server = serverId();
      const bob = `bob-${randomUUID()}`;
      const open = await newTank(fixture, { name: 'open', isPublic: true });
      const own = await newTank(fixture, { name: 'own', owner: bob, isPublic: false });
      const shared = await newTank(fixture, { name: 'shared', isPublic: false });
      const hidden = await newTank(fixture, { name: 'hidden', isPublic: false });
      for (const t of [open, own, shared, hidden])
        await createLocation(fixture.db, { tankId: t.tankId, serverId: server });
      await grantPermission(fixture.db, { tankId: shared.tankId, userId: bob, permission: 'read' });
      const page = await listTanks(fixture.db, { serverId: server, visibleTo: bob });
      expect(page.items.map((e) => e.tank.name)).toEqual(
        byListingOrder([open, own, shared]).map((t) => t.name),
      );
      expect((await listTanks(fixture.db, { serverId: server })).items).toHaveLength(4);
    });

    it('should search by name words and figures, and sort by a figure, on either engine', async () => {
      const server = serverId();
      const word = `w${randomUUID().slice(0, 8)}`;
      const made = [];
      for (let i = 0; i < 4; i++) {
        const tank = await newTank(fixture, { name: `${word} lagoon ${i}` });
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
        made.push(tank);
      }
      const rows = made.map((t, i) => ({ tankId: t.tankId, fishCount: 10 - i, generation: i }));
      expect(await recordTankStats(fixture.db, { serverId: server, rows })).toBe(4);
      // Another server's write leaves the figures alone (fenced by the location).
      expect(await recordTankStats(fixture.db, { serverId: serverId(), rows })).toBe(0);
      const found = await listTanks(fixture.db, {
        text: `${word.toUpperCase()} LAG`,
        fishMin: 8,
        sort: 'fish_count',
      });
      expect(found.items.map((e) => e.tank.tankId)).toEqual([
        made[2]!.tankId,
        made[1]!.tankId,
        made[0]!.tankId,
      ]);
      expect(found.items.map((e) => e.tank.fishCount)).toEqual([8, 9, 10]);
      const err = await rejection(listTanks(fixture.db, { text: '%%' }));
      expect(err.code).toBe('invalid_request');
    });

    it('should refuse a malformed cursor', async () => {
      const err = await rejection(listTanks(fixture.db, { cursor: 'bm90IGEgY3Vyc29y' }));
      expect(err.code).toBe('invalid_request');
    });

    it('should delete a tank with its location, snapshots, permissions and transfer journal', async () => {
      const server = serverId();
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      const side = (transferId: string) => ({
        transferId,
        tankId: tank.tankId,
        serverId: server,
        role: 'dest' as const,
        entityUid: 'u-1',
        payload: {},
        seq: 1,
      });
      const [settled, open] = [randomUUID(), randomUUID()];
      await putReservation(fixture.db, side(settled));
      await settleReservation(fixture.db, { transferId: settled, role: 'dest', state: 'arrived' });
      await putReservation(fixture.db, side(open));
      await saveSnapshots(fixture.db, [
        { tankId: tank.tankId, serverId: server, epoch: 1, frame: 1, state: {} },
      ]);
      await grantPermission(fixture.db, { tankId: tank.tankId, userId: 'bob', permission: 'write' });
      expect(await deleteTank(fixture.db, tank.tankId)).toBe(true);
      expect(await getTank(fixture.db, tank.tankId)).toBeUndefined();
      expect(await getLocation(fixture.db, tank.tankId)).toBeUndefined();
      expect(await listSnapshots(fixture.db, tank.tankId)).toEqual([]);
      expect(await listPermissions(fixture.db, tank.tankId)).toEqual([]);
      // The journal goes; an open side stays until its transfer settles it.
      expect(
        (await listReservations(fixture.db, { tankId: tank.tankId, settled: true })).map((r) => r.transferId),
      ).toEqual([open]);
      expect(await deleteTank(fixture.db, tank.tankId)).toBe(false);
    });
  });

  describe('tank locations', () => {
    it('should place a tank at epoch 1', async () => {
      const server = serverId();
      const tank = await newTank(fixture);
      const location = await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      expect(location).toEqual({
        tankId: tank.tankId,
        serverId: server,
        epoch: 1,
        createdAt: anyDate,
        migratedAt: null,
      });
      expect(await getLocation(fixture.db, tank.tankId)).toEqual(location);
      expect(await listLocationsByServer(fixture.db, server)).toEqual([location]);
    });

    it('should refuse a second location (conflict) and a location of an unknown tank (not_found)', async () => {
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: serverId() });
      expect(
        (await rejection(createLocation(fixture.db, { tankId: tank.tankId, serverId: serverId() }))).code,
      ).toBe('conflict');
      const err = await rejection(createLocation(fixture.db, { tankId: randomUUID(), serverId: serverId() }));
      expect(err).toBeInstanceOf(NotFoundError);
    });

    it('should move a tank only from the expected epoch (compare-and-set)', async () => {
      const [from, to, other] = [serverId('from'), serverId('to'), serverId('other')];
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: from });
      expect(await moveTank(fixture.db, { tankId: tank.tankId, toServerId: to, expectedEpoch: 1 })).toBe(2);
      expect(await getLocation(fixture.db, tank.tankId)).toEqual({
        tankId: tank.tankId,
        serverId: to,
        epoch: 2,
        createdAt: anyDate,
        migratedAt: anyDate,
      });
      const err = await rejection(
        moveTank(fixture.db, { tankId: tank.tankId, toServerId: other, expectedEpoch: 1 }),
      );
      expect(err).toBeInstanceOf(StaleEpochError);
      expect(err).toMatchObject({
        code: 'stale_epoch',
        tankId: tank.tankId,
        expectedEpoch: 1,
        actualEpoch: 2,
        actualServerId: to,
      });
      expect((await getLocation(fixture.db, tank.tankId))?.serverId).toBe(to);
    });

    it('should let exactly one of two concurrent moves from one epoch win', async () => {
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: serverId() });
      const moves = await Promise.allSettled(
        [serverId('a'), serverId('b')].map((toServerId) =>
          moveTank(fixture.db, { tankId: tank.tankId, toServerId, expectedEpoch: 1 }),
        ),
      );
      expect(moves.filter((m) => m.status === 'fulfilled').map((m) => m.value)).toEqual([2]);
      const lost = moves.find((m) => m.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(StaleEpochError);
    });

    it('should throw not_found when moving a tank without a location', async () => {
      const err = await rejection(
        moveTank(fixture.db, { tankId: randomUUID(), toServerId: 'x', expectedEpoch: 1 }),
      );
      expect(err).toBeInstanceOf(NotFoundError);
    });

    it('should confirm ownership only for the current server and epoch', async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: a });
      await assertOwnership(fixture.db, { tankId: tank.tankId, serverId: a, epoch: 1 });
      await moveTank(fixture.db, { tankId: tank.tankId, toServerId: b, expectedEpoch: 1 });
      const err = await rejection(
        assertOwnership(fixture.db, { tankId: tank.tankId, serverId: a, epoch: 1 }),
      );
      expect(err).toMatchObject({ code: 'stale_epoch', actualEpoch: 2, actualServerId: b });
      await assertOwnership(fixture.db, { tankId: tank.tankId, serverId: b, epoch: 2 });
    });

    it('should count tanks per server', async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      for (const server of [a, a, b]) {
        const tank = await newTank(fixture);
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      }
      const counts = await countTanksByServer(fixture.db);
      expect([counts[a], counts[b]]).toEqual([2, 1]);
    });

    it('should count tanks per server leaving out the tanks named, and a server left with none', async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      const tanks = [];
      for (const server of [a, a, b]) {
        const tank = await newTank(fixture);
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
        tanks.push(tank);
      }
      const excluding = [tanks[0]!.tankId, tanks[2]!.tankId, randomUUID(), 'not-a-uuid'];
      const counts = await countTanksByServer(fixture.db, { excluding });
      expect(counts[a]).toBe(1);
      expect(b in counts).toBe(false);
    });

    it("should list a server's tanks with their locations, and none that moved away", async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      const tanks = [];
      for (const server of [a, b, a]) {
        const tank = await newTank(fixture);
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
        tanks.push(tank);
      }
      await moveTank(fixture.db, { tankId: tanks[2]!.tankId, toServerId: b, expectedEpoch: 1 });
      const onB = await listTanksOnServer(fixture.db, b);
      const expected = [
        { tank: tanks[1]!, location: expect.objectContaining({ serverId: b, epoch: 1 }) },
        { tank: tanks[2]!, location: expect.objectContaining({ serverId: b, epoch: 2 }) },
      ].sort((x, y) => (x.tank.tankId < y.tank.tankId ? -1 : 1));
      expect(onB).toEqual(expected);
      expect((await listTanksOnServer(fixture.db, a)).map((e) => e.tank.tankId)).toEqual([tanks[0]!.tankId]);
    });

    it('should list each server that runs a tank once, and a server no more once its tanks moved', async () => {
      const [a, b, c] = [serverId('a'), serverId('b'), serverId('c')];
      const tanks = [];
      for (const server of [a, b, a, c, a]) {
        const tank = await newTank(fixture);
        await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
        tanks.push(tank);
      }
      const owners = await listTankOwners(fixture.db);
      expect(owners.filter((id) => [a, b, c].includes(id))).toEqual([a, b, c].sort());
      expect(new Set(owners).size).toBe(owners.length);
      await moveTank(fixture.db, { tankId: tanks[1]!.tankId, toServerId: c, expectedEpoch: 1 });
      const after = await listTankOwners(fixture.db);
      expect(after.filter((id) => [a, b, c].includes(id))).toEqual([a, c].sort());
      expect([...after].sort()).toEqual(Object.keys(await countTanksByServer(fixture.db)).sort());
    });
  });

  describe('tank permissions', () => {
    it('should grant one level per user, replacing the previous one', async () => {
      const tank = await newTank(fixture);
      const first = await grantPermission(fixture.db, {
        tankId: tank.tankId,
        userId: 'bob',
        permission: 'read',
      });
      expect(first).toEqual({ tankId: tank.tankId, userId: 'bob', permission: 'read', grantedAt: anyDate });
      await grantPermission(fixture.db, { tankId: tank.tankId, userId: 'bob', permission: 'write' });
      await grantPermission(fixture.db, { tankId: tank.tankId, userId: 'carol', permission: 'admin' });
      expect(await listPermissions(fixture.db, tank.tankId)).toEqual([
        { tankId: tank.tankId, userId: 'bob', permission: 'write', grantedAt: anyDate },
        { tankId: tank.tankId, userId: 'carol', permission: 'admin', grantedAt: anyDate },
      ]);
    });

    it('should give the owner admin, a grantee their level, anyone else nothing', async () => {
      const tank = await newTank(fixture, { owner: 'alice' });
      await grantPermission(fixture.db, { tankId: tank.tankId, userId: 'bob', permission: 'write' });
      const level = (userId: string) => permissionOf(fixture.db, { tankId: tank.tankId, userId });
      expect([await level('alice'), await level('bob'), await level('eve')]).toEqual([
        'admin',
        'write',
        undefined,
      ]);
      expect(await permissionOf(fixture.db, { tankId: randomUUID(), userId: 'alice' })).toBeUndefined();
      expect([
        permits('admin', 'write'),
        permits('write', 'write'),
        permits('read', 'write'),
        permits(undefined, 'read'),
      ]).toEqual([true, true, false, false]);
    });

    it('should revoke a grant once', async () => {
      const tank = await newTank(fixture);
      await grantPermission(fixture.db, { tankId: tank.tankId, userId: 'bob', permission: 'read' });
      expect(await revokePermission(fixture.db, { tankId: tank.tankId, userId: 'bob' })).toBe(true);
      expect(await revokePermission(fixture.db, { tankId: tank.tankId, userId: 'bob' })).toBe(false);
      expect(await permissionOf(fixture.db, { tankId: tank.tankId, userId: 'bob' })).toBeUndefined();
    });

    it('should refuse a grant on an unknown tank with not_found', async () => {
      const err = await rejection(
        grantPermission(fixture.db, { tankId: randomUUID(), userId: 'bob', permission: 'read' }),
      );
      expect(err).toBeInstanceOf(NotFoundError);
    });
  });
}
