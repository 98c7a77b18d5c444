/**
 * @module
 * A tank server in its own network namespace cut off from PostgreSQL only. The documented
 * outcome (docs/partitions.md, "Cut off from PostgreSQL only"): its Consul check keeps passing,
 * so nothing fails over and it is not fenced; its tanks keep ticking and streaming to their
 * viewers; snapshots cannot be written during the cut and resume after it, nothing saved before
 * is lost, and no tank exists twice.
 */
import { describe, expect, it } from 'vitest';
import { latestSnapshot } from '../../src/store/index.ts';
import { netnsUnavailable, useCleanup, waitFor } from '../support/index.ts';
import { fishUids, freeze, watchOnIsland } from './checks.ts';
import { FAST, ISLAND, MAINLAND, PASSES, startPartitionFleet } from './fleet.ts';

const unavailable = netnsUnavailable();
const cleanup = useCleanup();
/** Simulation frames per second (the servers' default tick rate). */
const TICK_HZ = 30;
/**
 * Frames to stream during the cut: three times the TTL plus the failover grace, counted in
 * simulation time, so a lost Consul check would have gone critical and failed the tanks over
 * (a slow machine ticks slower, and the cut then lasts longer).
 */
const CUT_FRAMES =
  3 * TICK_HZ * (Number.parseInt(FAST.CHECK_TTL, 10) + Number(FAST.FAILOVER_GRACE_MS) / 1000);

describe.skipIf(unavailable !== undefined)(
  `a tank server cut off from PostgreSQL only${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('should keep passing, ticking and streaming, and resume snapshots after the cut with nothing lost', async () => {
      const fleet = await startPartitionFleet({ cleanup, netns: true, tanks: 2 });
      const [frozen, running] = fleet.tanks as [(typeof fleet.tanks)[0], (typeof fleet.tanks)[0]];
      const frozenFish = await freeze(fleet, frozen.tank.tank_id);
      await fleet.startMainland();
      const viewer = await watchOnIsland(fleet, running, cleanup);
      const id = running.tank.tank_id;
      const savedBefore = await waitFor(() => latestSnapshot(fleet.store.db, id), {
        what: 'a snapshot of the running tank',
      });

      await fleet.links!.postgres.cut();
      const cutAt = viewer.lastFrame();
      // Sampled through the cut; checked after it, so a failure shows the whole sequence.
      const samples = new Set<string>();
      await waitFor(
        async () => {
          const [health, lookup] = await Promise.all([fleet.health(ISLAND), fleet.lookup(id)]);
          const state = PASSES.has(health ?? '') ? 'passes' : health;
          samples.add(`${state} ${lookup?.server.server_id}@${lookup?.tank.epoch}`);
          return viewer.lastFrame() >= cutAt + CUT_FRAMES || viewer.ws.readyState !== viewer.ws.OPEN;
        },
        { what: `${CUT_FRAMES} frames streamed during the cut`, timeout: 40_000, interval: 250 },
      );
      // Passing throughout, and the tank where it was, same epoch: no failover, no fencing.
      expect([...samples], 'health, server and epoch seen during the cut').toEqual([
        `passes ${ISLAND}@${running.tank.epoch}`,
      ]);
      expect(viewer.lastFrame()).toBeGreaterThanOrEqual(cutAt + CUT_FRAMES);
      // Nothing reached the database during the cut.
      expect((await latestSnapshot(fleet.store.db, id))!.frame).toBeLessThan(cutAt + CUT_FRAMES);

      await fleet.links!.postgres.heal();
      const healedAt = viewer.lastFrame();
      const savedAfter = await waitFor(
        async () => {
          const s = await latestSnapshot(fleet.store.db, id);
          return s && s.frame > healedAt ? s : undefined;
        },
        { what: 'a snapshot after the cut', timeout: 30_000 },
      );
      // The island's own snapshot, same epoch, later than anything saved before: nothing lost.
      expect(savedAfter).toMatchObject({ serverId: ISLAND, epoch: running.tank.epoch });
      expect(savedAfter.frame).toBeGreaterThan(savedBefore.frame);
      expect(viewer.texts.filter((m) => m.type !== 'hello')).toEqual([]);
      expect(viewer.ws.readyState).toBe(viewer.ws.OPEN);

      // No fork: the mainland holds neither tank, and the audit finds each fish once.
      expect([...(await fleet.census(MAINLAND)).keys()]).toEqual([]);
      const report = await fleet.audit();
      expect(report.servers.sort()).toEqual([ISLAND, MAINLAND]);
      expect(report.duplicated).toEqual([]);
      expect(report.ok).toBe(true);
      expect(await fishUids(fleet, frozen.tank.tank_id)).toEqual(frozenFish);
    }, 120_000);
  },
);
