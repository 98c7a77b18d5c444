import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalDiscovery,
  createLocalRegistry,
  type Discovery,
  type LocalRegistry,
  type ServerInstance,
} from '../../src/discovery/index.ts';
import { discoveryContract, instance, load, registration, serverId, watchLog } from './discovery.case.ts';
import { createManualClock, type ManualClock } from './manual-clock.ts';

/** Lets queued registry notifications (microtasks) reach the watchers. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('in-process discovery', () => {
  discoveryContract(() => {
    const clock = createManualClock();
    const registry = createLocalRegistry({ clock });
    return {
      make: ({ ttl } = {}) => createLocalDiscovery({ registry, ...(ttl ? { ttl } : {}) }),
      lapse: async (ms) => clock.advance(ms),
      patienceMs: 1000,
    };
  });

  describe('TTL semantics on the injected clock', () => {
    let clock: ManualClock;
    let registry: LocalRegistry;
    let open: Discovery[];
    const make = (ttl = '30s', deregisterCriticalAfter = '1m') => {
      const d = createLocalDiscovery({ registry, ttl, deregisterCriticalAfter });
      open.push(d);
      return d;
    };
    const statusOf = async (d: Discovery, id: string): Promise<ServerInstance | undefined> => {
      const log = watchLog([id]);
      const handle = await d.watch(log.onChange);
      await settle();
      handle.stop();
      return log.latest()[0];
    };

    beforeEach(() => {
      clock = createManualClock();
      registry = createLocalRegistry({ clock });
      open = [];
    });
    afterEach(async () => {
      await Promise.all(open.map((d) => d.close()));
    });

    it('should stay passing until the TTL is reached, then turn critical with Consul’s output', async () => {
      const id = serverId();
      const d = make('30s');
      await d.register(registration(id));
      await d.passTtl(load());
      clock.advance(29_999);
      expect((await statusOf(d, id))?.status).toBe('passing');
      clock.advance(1);
      expect(await statusOf(d, id)).toEqual(
        instance(id, {
          status: 'critical',
          load: load(),
          lastOutput:
            'TTL expired (last output before timeout follows): tanks=14 cpu=22% mem=180MB viewers=240 behind=0',
        }),
      );
    });

    it('should say only "TTL expired" when no heartbeat ever came', async () => {
      const id = serverId();
      const d = make('5s');
      await d.register(registration(id));
      clock.advance(5000);
      expect(await statusOf(d, id)).toEqual(instance(id, { status: 'critical', lastOutput: 'TTL expired' }));
    });

    it('should restart the TTL on every heartbeat, warning ones included', async () => {
      const id = serverId();
      const d = make('10s');
      await d.register(registration(id));
      for (let i = 0; i < 5; i += 1) {
        clock.advance(9000);
        await d.passTtl(load(), { status: i % 2 ? 'warning' : 'passing' });
      }
      clock.advance(9999);
      expect((await statusOf(d, id))?.status).toBe('passing');
      clock.advance(1);
      expect((await statusOf(d, id))?.status).toBe('critical');
    });

    it('should deregister a server critical for longer than deregister-after, counted from going critical', async () => {
      const id = serverId();
      const d = make('10s', '2m');
      await d.register(registration(id));
      clock.advance(10_000);
      expect((await statusOf(d, id))?.status).toBe('critical');
      clock.advance(119_999);
      expect((await statusOf(d, id))?.status).toBe('critical');
      clock.advance(1);
      expect(await statusOf(d, id)).toBeUndefined();
    });

    it('should clamp deregister-after to one minute, as Consul does', async () => {
      const id = serverId();
      const d = make('1s', '10s');
      await d.register(registration(id));
      clock.advance(1000 + 59_999);
      expect((await statusOf(d, id))?.status).toBe('critical');
      clock.advance(1);
      expect(await statusOf(d, id)).toBeUndefined();
    });

    it('should not reap a server that recovered before deregister-after', async () => {
      const id = serverId();
      const d = make('10s', '1m');
      await d.register(registration(id));
      clock.advance(10_000 + 50_000);
      await d.passTtl(load());
      clock.advance(9_000);
      expect((await statusOf(d, id))?.status).toBe('passing');
      clock.advance(1000 + 59_999);
      expect((await statusOf(d, id))?.status).toBe('critical');
    });

    it('should register again on the first heartbeat after being reaped', async () => {
      const id = serverId();
      const d = make('1s', '1m');
      await d.register(registration(id));
      clock.advance(61_000);
      expect(await statusOf(d, id)).toBeUndefined();
      await d.passTtl(load());
      expect(await d.healthyServers()).toEqual([
        instance(id, { load: load(), lastOutput: 'tanks=14 cpu=22% mem=180MB viewers=240 behind=0' }),
      ]);
    });

    it('should show the load of a heartbeat that changes only the output at once', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id));
      await d.passTtl(load({ tank_count: 1 }));
      await d.passTtl(load({ tank_count: 2 }));
      expect((await d.healthyServers()).map((s) => s.load)).toEqual([load({ tank_count: 2 })]);
    });

    it('should call a watcher once per change: not for load-only heartbeats', async () => {
      const id = serverId();
      const d = make('10s');
      const log = watchLog([id]);
      await d.watch(log.onChange);
      await settle();
      expect(log.calls).toEqual([[]]);
      await d.register(registration(id));
      await settle();
      await d.passTtl(load({ tank_count: 1 }));
      await settle();
      await d.passTtl(load({ tank_count: 2 }));
      await settle();
      expect(log.calls).toHaveLength(2);
      await d.passTtl(load(), { status: 'warning' });
      await settle();
      clock.advance(10_000);
      await settle();
      expect(log.calls.map((view) => view.map((s) => s.status))).toEqual([
        [],
        ['passing'],
        ['warning'],
        ['critical'],
      ]);
    });

    it('should let the gateway and two servers share one registry without seeing each other’s state', async () => {
      const [g, s1, s2] = [serverId(), serverId(), serverId()];
      const gateway = make();
      const one = make();
      const two = make();
      await gateway.register(registration(g, { service: 'tank-gateway' }));
      await one.register(registration(s1));
      await two.register(registration(s2, { port: 18_002 }));
      expect((await gateway.healthyServers()).map((s) => s.serverId)).toEqual([s1, s2].sort());
      await one.close();
      expect((await two.healthyServers()).map((s) => s.serverId)).toEqual([s2]);
      await expect(two.passTtl(load())).resolves.toBeUndefined();
    });

    it('should give lastKnown the registry clock’s time', async () => {
      const d = make();
      expect(await d.lastKnown()).toEqual({ servers: [], at: new Date(clock.now()), stale: true });
    });
  });
});
