/**
 * @module
 * A tank server cut off from Consul and PostgreSQL whose Consul link comes back first. The
 * documented outcome (docs/partitions.md, "Healed halfway"): its TTL passes reach Consul again,
 * but it cannot re-read its tanks' epochs, so it stays fenced — REST answers 503
 * `server_fenced`, and a tank created meanwhile goes to another server, not to it — until
 * PostgreSQL is back too; then it rejoins clean.
 */
import { describe, expect, it } from 'vitest';
import { netnsUnavailable, useCleanup, waitFor } from '../support/index.ts';
import {
  expectFenced,
  expectMovedToMainland,
  expectRejoinedClean,
  islandLease,
  watchOnIsland,
} from './checks.ts';
import { ISLAND, type Lookup, MAINLAND, PASSES, request, startPartitionFleet } from './fleet.ts';

const unavailable = netnsUnavailable();
const cleanup = useCleanup();

describe.skipIf(unavailable !== undefined)(
  `a fenced tank server that reaches Consul again before PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('should stay fenced, refusing with 503 and taking no new tank, until PostgreSQL is back', async () => {
      const fleet = await startPartitionFleet({ cleanup, netns: true, tanks: 2 });
      const links = fleet.links!;
      await fleet.startMainland();
      const viewer = await watchOnIsland(fleet, fleet.tanks[0]!, cleanup);

      await links.control.cut();
      await links.postgres.cut();
      const moved = await expectMovedToMainland(fleet, fleet.tanks);
      await expectFenced(viewer, viewer.lastFrame());

      await links.control.heal();
      await waitFor(async () => PASSES.has((await fleet.health(ISLAND)) ?? ''), {
        what: 'the island passing in Consul again, PostgreSQL still cut',
        timeout: 30_000,
      });
      // Passing, but it cannot tell which of its tanks moved: still fenced.
      const id = fleet.tanks[1]!.tank.tank_id;
      const res = await request(`${fleet.island.url}/api/tanks/${id}/stats`, {
        headers: { authorization: `Bearer ${fleet.token}` },
      });
      expect(await islandLease(fleet)).toBe('fenced');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ code: 'server_fenced' });
      // Placement may choose it (it holds the fewest tanks): it refuses, and the tank is made elsewhere.
      const created = await fleet.call<Lookup>('POST', '/api/tanks', 201, { name: 'Halfway', seed: 5 });
      expect(created.server.server_id).toBe(MAINLAND);

      await links.postgres.heal();
      await expectRejoinedClean(fleet, [...moved, created], cleanup);
    }, 120_000);
  },
);
