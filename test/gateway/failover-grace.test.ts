/**
 * @module
 * When failover may restore a dead server's tanks: only once its heartbeat check has been
 * critical for the grace (the lease margin plus one round), counted from when the gateway saw
 * it turn critical — never earlier, so its owner, live or not, has fenced itself first. The
 * registry runs on a manual clock and the failover on the same clock, over a real store; the
 * servers are registrations in the in-process registry (one passes its TTL, one stops). Also:
 * a Consul instance whose sidecar's alias check is critical but whose own heartbeat passes is
 * not taken for dead (its process holds its lease).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fleetTiming } from '../../src/config.ts';
import { instancesOf } from '../../src/discovery/consul-parts.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import { createTankCache } from '../../src/gateway/cache.ts';
import { createServerDirectory } from '../../src/gateway/directory.ts';
import { createFailover } from '../../src/gateway/failover.ts';
import { createLoadView } from '../../src/gateway/load-view.ts';
import { defaultPlacement } from '../../src/gateway/placement.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createServerClient } from '../../src/server-client/index.ts';
import { createLocation, createStore, createTank, getLocation } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { load, registration } from '../discovery/discovery.case.ts';
import { createManualClock } from '../discovery/manual-clock.ts';
import { freePort, useCleanup, useDatabase } from '../support/index.ts';

const cleanup = useCleanup();
const logger = createLogger({ level: 'silent' });

/** A registry on a manual clock, a real store and directory, and failover on the same clock. */
async function setup(deadServerId: string) {
  // The default profile: TTL 6 s, margin 1 s, one 1 s round → a 2 s grace (7 s when absent).
  const timing = fleetTiming({ heartbeatMs: 2000, checkTtl: '6s' });
  const clock = createManualClock();
  const registry = createLocalRegistry({ clock });
  const database = await useDatabase({ cleanup });
  const store = cleanup.add(createStore({ databaseUrl: database.url, dataDir: 'memory://', poolSize: 2 }));
  await store.migrate();
  const realtime = cleanup.add(await createRealtime({}));
  const dead = createLocalDiscovery({ registry, ttl: '6s' });
  const alive = createLocalDiscovery({ registry, ttl: '6s' });
  await dead.register(registration(deadServerId));
  await alive.register(registration('srv-alive'));
  const tankId = randomUUID();
  await createTank(store.db, { tankId, name: 'Orphan', owner: 'alice' });
  await createLocation(store.db, { tankId, serverId: deadServerId });

  const directory = createServerDirectory({
    discovery: createLocalDiscovery({ registry }),
    db: store.db,
    realtime,
    logger,
    publishEvents: false,
  });
  await directory.start();
  cleanup.add(() => directory.stop());
  // The adopt call goes nowhere: the move (the epoch compare-and-set) is what this test watches.
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const failover = createFailover({
    db: store.db,
    directory,
    realtime,
    placement: defaultPlacement(),
    loads: createLoadView({ db: store.db, realtime, logger }),
    serverClient: createServerClient({
      secret: 'failover-grace-secret-0123',
      resolveServer: () => ({ baseUrl: nowhere }),
    }),
    cache: createTankCache({ db: store.db }),
    logger,
    graceMs: timing.failoverGraceMs,
    absentGraceMs: timing.failoverAbsentGraceMs,
    intervalMs: timing.failoverRoundMs,
    clock: () => clock.now(),
  });
  cleanup.add(() => failover.stop());
  return {
    timing,
    dead,
    directory,
    ownerOf: async () => (await getLocation(store.db, tankId))?.serverId,
    location: () => getLocation(store.db, tankId),
    /** Moves the clock on with the live server passing its TTL every 2 s, then runs one pass. */
    async advance(ms: number): Promise<void> {
      for (let left = ms; left > 0; left -= Math.min(left, 2000)) {
        clock.advance(Math.min(left, 2000));
        await alive.passTtl(load());
      }
      // The registry tells its watchers in a microtask; the directory then holds the new view.
      await new Promise((resolve) => setImmediate(resolve));
      await failover.reconcile();
    },
  };
}

describe('the failover grace', () => {
  it('should restore a dead server tanks only after its check was critical for the margin and a round', async () => {
    const { timing, directory, ownerOf, location, advance } = await setup('srv-dead');
    expect(timing).toMatchObject({ ttlMs: 6000, leaseMarginMs: 1000, leaseMs: 5000, failoverGraceMs: 2000 });

    // srv-dead stops passing. Within its TTL it is alive to everyone.
    await advance(5999);
    expect(directory.heartbeatFailed('srv-dead')).toBe(false);
    expect(await ownerOf()).toBe('srv-dead');
    // Its TTL lapses: critical now (its owner fenced a margin ago), but not restored yet.
    await advance(1);
    expect(directory.heartbeatFailed('srv-dead')).toBe(true);
    expect(directory.isAvailable('srv-dead')).toBe(false);
    expect(await ownerOf()).toBe('srv-dead');
    // Critical for the margin alone: still not.
    await advance(timing.leaseMarginMs);
    expect(await ownerOf()).toBe('srv-dead');
    await advance(timing.failoverGraceMs - timing.leaseMarginMs - 1);
    expect(await ownerOf()).toBe('srv-dead');
    // Critical for the margin and a round: restored on the live server, one epoch on.
    await advance(1);
    expect(await location()).toMatchObject({ serverId: 'srv-alive', epoch: 2 });
  });

  it('should wait a whole lease more for a server that vanished without turning critical', async () => {
    // An agent that restarted empty forgets every server at once; a live one registers again
    // on its next pass, and until then it may still hold the lease of its last one.
    const { timing, dead, ownerOf, location, advance } = await setup('srv-vanished');
    expect(timing.failoverAbsentGraceMs).toBe(7000);
    await advance(1000);
    await dead.deregister();
    // The gateway sees it gone now (a pass, with no time passing).
    await advance(0);
    await advance(timing.failoverGraceMs);
    expect(await ownerOf()).toBe('srv-vanished');
    await advance(timing.failoverAbsentGraceMs - timing.failoverGraceMs - 1);
    expect(await ownerOf()).toBe('srv-vanished');
    await advance(1);
    expect(await location()).toMatchObject({ serverId: 'srv-alive', epoch: 2 });
  });

  it('should take a Consul instance whose sidecar died for unreachable, not for dead', () => {
    const entry = (sidecar: string, heartbeat: string, node = 'passing') => ({
      Node: { Node: 'n1', Address: '10.0.0.5' },
      Service: {
        ID: 'srv-1',
        Service: 'tank-server',
        Address: '10.0.0.5',
        Port: 8001,
        Meta: { server_id: 'srv-1' },
      },
      Checks: [
        { CheckID: 'serfHealth', ServiceID: '', Status: node, Output: '' },
        { CheckID: 'service:srv-1:ttl', ServiceID: 'srv-1', Status: heartbeat, Output: '' },
        // The alias check on the sidecar, registered on the service itself (`connect.ts`).
        { CheckID: 'service:srv-1:sidecar', ServiceID: 'srv-1', Status: sidecar, Output: '' },
      ],
    });
    const [withDeadSidecar] = instancesOf([entry('critical', 'passing')] as never);
    expect(withDeadSidecar).toMatchObject({ status: 'critical', heartbeat: 'passing' });
    const [withDeadProcess] = instancesOf([entry('passing', 'critical')] as never);
    expect(withDeadProcess).toMatchObject({ status: 'critical', heartbeat: 'critical' });
    const [withDeadNode] = instancesOf([entry('passing', 'passing', 'critical')] as never);
    expect(withDeadNode).toMatchObject({ status: 'critical', heartbeat: 'critical' });
  });
});
