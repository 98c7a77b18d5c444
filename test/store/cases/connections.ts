/**
 * @module
 * Contract cases for `tank_connections`: the reads a tank server makes of its tanks' tubes.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createConnection,
  createLocation,
  listConnectionsOfTanks,
  listConnectionsOnServer,
  moveTank,
} from '../../../src/store/index.ts';
import { newTank, type StoreFixture, serverId } from '../fixtures.ts';

export function connectionCases(fixture: StoreFixture): void {
  describe('tank connections', () => {
    it('should list the tubes with an end on a server’s tanks, each once, oldest first, as the id list does', async () => {
      const here = serverId('here');
      const there = serverId('there');
      const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => newTank(fixture)));
      await createLocation(fixture.db, { tankId: a!.tankId, serverId: here });
      await createLocation(fixture.db, { tankId: b!.tankId, serverId: here });
      await createLocation(fixture.db, { tankId: c!.tankId, serverId: there });
      await createLocation(fixture.db, { tankId: d!.tankId, serverId: there });
      const tube = (from: string, to: string) =>
        createConnection(fixture.db, {
          sourceTankId: from,
          destTankId: to,
          sourceMouth: 'right',
          destMouth: 'left',
          createdBy: 'alice',
        });
      const inside = await tube(a!.tankId, b!.tankId); // both ends here: listed once
      const outward = await tube(b!.tankId, c!.tankId);
      const inward = await tube(d!.tankId, a!.tankId);
      const elsewhere = await tube(c!.tankId, d!.tankId);
      // Timestamps are milliseconds (and ties go by id): two tubes made within one millisecond
      // had no creation order to keep, so the test spaces them a millisecond apart.
      for (const [n, t] of [inside, outward, inward, elsewhere].entries()) {
        await fixture.db.execute(
          sql`update tank_connections set created_at = timestamptz '2026-01-01 00:00:00+00' + ${n} * interval '1 millisecond' where connection_id = ${t.connectionId}`,
        );
      }

      const onHere = await listConnectionsOnServer(fixture.db, here);
      expect(onHere.map((t) => t.connectionId)).toEqual([inside, outward, inward].map((t) => t.connectionId));
      expect(onHere).toEqual(await listConnectionsOfTanks(fixture.db, [a!.tankId, b!.tankId]));
      expect((await listConnectionsOnServer(fixture.db, there)).map((t) => t.connectionId)).toEqual(
        [outward, inward, elsewhere].map((t) => t.connectionId),
      );

      // A tank moved away takes its tubes with it.
      await moveTank(fixture.db, { tankId: b!.tankId, toServerId: there, expectedEpoch: 1 });
      expect((await listConnectionsOnServer(fixture.db, here)).map((t) => t.connectionId)).toEqual(
        [inside, inward].map((t) => t.connectionId),
      );
      expect(await listConnectionsOnServer(fixture.db, serverId('none'))).toEqual([]);
    });
  });
}
