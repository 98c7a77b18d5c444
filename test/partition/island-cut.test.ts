/**
 * @module
 * A tank server in its own network namespace cut off from Consul and PostgreSQL while its
 * viewers can still reach it (the issue's scenario). The documented outcome (docs/partitions.md,
 * "Cut off from Consul and PostgreSQL"): it fences itself within its lease — its frames stop and
 * its viewers get `fenced` and close 4503 before the gateway restores its tanks on the mainland
 * — the audit finds no fish twice and none lost; healed, it rejoins clean: passing again,
 * holding none of the moved tanks, and taking new ones.
 */
import { describe, expect, it } from 'vitest';
import { netnsUnavailable, useCleanup } from '../support/index.ts';
import {
  expectFenced,
  expectMovedToMainland,
  expectRejoinedClean,
  fishUids,
  freeze,
  islandLease,
  watchOnIsland,
} from './checks.ts';
import { FENCED, MAINLAND, startPartitionFleet } from './fleet.ts';

const unavailable = netnsUnavailable();
const cleanup = useCleanup();

describe.skipIf(unavailable !== undefined)(
  `a tank server cut off from Consul and PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('should fence itself before its tanks move, lose and duplicate no fish, and rejoin clean when healed', async () => {
      const fleet = await startPartitionFleet({ cleanup, netns: true, tanks: 3 });
      const links = fleet.links!;
      const [frozen, running] = fleet.tanks as [(typeof fleet.tanks)[0], (typeof fleet.tanks)[0]];
      const frozenFish = await freeze(fleet, frozen.tank.tank_id);
      await fleet.startMainland();
      const viewer = await watchOnIsland(fleet, running, cleanup);

      await links.control.cut();
      await links.postgres.cut();
      const moved = await expectMovedToMainland(fleet, fleet.tanks);
      // The lease runs out before the gateway may restore: the viewer was told first.
      expect(
        viewer.texts.some((m) => m.type === FENCED.type),
        'the island fenced itself before its tanks were restored elsewhere',
      ).toBe(true);
      await expectFenced(viewer, viewer.lastFrame());
      expect(await islandLease(fleet), 'the lease on the island’s /health, over the viewer link').toBe(
        'fenced',
      );

      // `tankworld audit` while the island is still cut off: each fish once, the frozen tank whole.
      const during = await fleet.audit();
      expect(during.servers).toEqual([MAINLAND]);
      expect(during.duplicated).toEqual([]);
      expect(during.ok).toBe(true);
      expect(await fishUids(fleet, frozen.tank.tank_id)).toEqual(frozenFish);

      await links.control.heal();
      await links.postgres.heal();
      await expectRejoinedClean(fleet, moved, cleanup);
      expect(await fishUids(fleet, frozen.tank.tank_id)).toEqual(frozenFish);
    }, 120_000);
  },
);
