/**
 * @module
 * A tank server paused (SIGSTOP) long enough for its tanks to move, then resumed (SIGCONT): the
 * documented outcome (docs/partitions.md, "A paused owner") is that it ticks none of the moved
 * tanks — its viewers see no frame past the one they had and are told `fenced` (close 4503) —
 * then rejoins, drops the moved tanks, and the audit finds each fish once, none lost. No
 * namespace is needed: the pause is the partition.
 */
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../support/index.ts';
import {
  expectFenced,
  expectMovedToMainland,
  expectRejoinedClean,
  fishUids,
  freeze,
  watchOnIsland,
} from './checks.ts';
import { startPartitionFleet } from './fleet.ts';

const cleanup = useCleanup();

describe('a paused tank server resumed after its tanks moved', () => {
  it('should tick none of the moved tanks, tell its viewers it is fenced, and rejoin clean', async () => {
    const fleet = await startPartitionFleet({ cleanup, netns: false, tanks: 3 });
    const [frozen, running] = fleet.tanks as [(typeof fleet.tanks)[0], (typeof fleet.tanks)[0]];
    const frozenFish = await freeze(fleet, frozen.tank.tank_id);
    await fleet.startMainland();
    const viewer = await watchOnIsland(fleet, running, cleanup);

    await fleet.island.handle.kill('SIGSTOP');
    const moved = await expectMovedToMainland(fleet, fleet.tanks);
    // Whatever the island sent before it stopped has long arrived: this is its last frame.
    const lastFrame = viewer.lastFrame();
    expect(lastFrame).toBeGreaterThan(0);

    await fleet.island.handle.kill('SIGCONT');
    await expectFenced(viewer, lastFrame);
    await expectRejoinedClean(fleet, moved, cleanup);
    // The frozen tank came back from its snapshot with every fish, and no other: none lost.
    expect(await fishUids(fleet, frozen.tank.tank_id)).toEqual(frozenFish);
  }, 120_000);
});
