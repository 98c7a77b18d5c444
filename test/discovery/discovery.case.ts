/**
 * @module
 * The `Discovery` contract, run against both adapters (`local.test.ts` on the in-process
 * registry, `consul.test.ts` on a real Consul agent), so the embedded default cannot drift from
 * what Consul does: same statuses, same outputs, same watch events.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Discovery,
  DiscoveryClosedError,
  InvalidRegistrationError,
  NotRegisteredError,
  type ServerInstance,
  type ServerLoad,
  type ServerRegistration,
} from '../../src/discovery/index.ts';
import { waitFor } from '../support/index.ts';

/** One adapter under test. */
export interface DiscoveryFixture {
  /** A fresh participant; the suite closes it after each test. */
  make(options?: { ttl?: string }): Discovery;
  /**
   * Lets the TTL lapse: the manual clock jumps by `ms`, or (Consul) nothing, because real time
   * passes while the test polls for the result.
   */
  lapse(ms: number): Promise<void>;
  /** How long to poll for an effect: short in-process, a few seconds for Consul's catalog sync. */
  patienceMs: number;
}

// Server ids are unique per run, so suites sharing one Consul agent never see each other's.
const run = randomUUID().slice(0, 8);
let counter = 0;
export function serverId(): string {
  counter += 1;
  return `t${run}-${counter}`;
}

export function registration(id: string, overrides: Partial<ServerRegistration> = {}): ServerRegistration {
  return {
    serverId: id,
    address: '127.0.0.1',
    port: 18_001,
    region: 'eu-west',
    zone: 'eu-west-1a',
    version: '2.0.0',
    capabilities: ['poker', 'transfer'],
    publicUrl: 'http://127.0.0.1:18001',
    wsUrl: 'ws://127.0.0.1:18001/ws',
    startedAt: '2026-11-25T06:00:00.000Z',
    ...overrides,
  };
}

export function load(overrides: Partial<ServerLoad> = {}): ServerLoad {
  return {
    tank_count: 14,
    cpu_percent: 22,
    memory_mb: 180,
    ws_connections: 240,
    ticks_behind: 0,
    ...overrides,
  };
}

/** What a reader should see for `registration(id)` before any heartbeat. */
export function instance(id: string, overrides: Partial<ServerInstance> = {}): ServerInstance {
  const { service: _service, ...reg } = registration(id);
  const status = overrides.status ?? 'passing';
  // Without a sidecar, the heartbeat's own status is the instance's.
  return { ...reg, status, heartbeat: status, lastOutput: '', ...overrides };
}

/** Collects watch callbacks, keeping only the instances a test owns. */
export function watchLog(ids: string[]) {
  const calls: ServerInstance[][] = [];
  return {
    calls,
    onChange(servers: ServerInstance[]) {
      calls.push(servers);
    },
    /** The latest view of the instances this test owns. */
    latest(): ServerInstance[] {
      return (calls.at(-1) ?? []).filter((s) => ids.includes(s.serverId));
    },
  };
}

export function discoveryContract(setup: () => DiscoveryFixture): void {
  describe('Discovery contract', () => {
    const fixture = setup();
    const open: Discovery[] = [];
    const make = (options?: { ttl?: string }) => {
      const d = fixture.make(options);
      open.push(d);
      return d;
    };
    const until = <T>(probe: () => T | Promise<T>, what: string) =>
      waitFor(probe, { what, timeout: fixture.patienceMs, interval: 25 });
    const find = async (d: Discovery, id: string) =>
      (await d.healthyServers()).find((s) => s.serverId === id);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((d) => d.close()));
    });

    it('should list a registered server as healthy, with its Meta', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id));
      expect(await until(() => find(d, id), `${id} listed`)).toEqual(instance(id));
    });

    // Each step changes the status too: a Consul agent syncs an output-only change to the
    // catalog only every check_update_interval (5 min by default), a status change at once.
    it('should publish the load with each heartbeat, and count warning as healthy', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id));
      await d.passTtl(load({ cpu_percent: 97 }), { status: 'warning' });
      const warned = await until(async () => {
        const s = await find(d, id);
        return s?.status === 'warning' && s;
      }, 'warning');
      expect(warned).toEqual(
        instance(id, {
          status: 'warning',
          load: load({ cpu_percent: 97 }),
          lastOutput: 'tanks=14 cpu=97% mem=180MB viewers=240 behind=0',
        }),
      );
      const next = load({ tank_count: 15, cpu_percent: 37.5, memory_mb: 201.5, ticks_behind: 2 });
      await d.passTtl(next);
      const passing = await until(async () => {
        const s = await find(d, id);
        return s?.status === 'passing' && s;
      }, 'passing again');
      expect(passing).toEqual(
        instance(id, { load: next, lastOutput: 'tanks=15 cpu=37.5% mem=201.5MB viewers=240 behind=2' }),
      );
    });

    it('should turn critical once the TTL lapses without heartbeats, and recover on the next', async () => {
      const id = serverId();
      const d = make({ ttl: '2s' });
      const log = watchLog([id]);
      const handle = await d.watch(log.onChange);
      await d.register(registration(id));
      await d.passTtl(load());
      await until(() => log.latest()[0]?.status === 'passing', 'passing in the watch');
      await fixture.lapse(2000);
      await until(() => log.latest()[0]?.status === 'critical', 'critical in the watch');
      expect(log.latest()).toEqual([
        instance(id, {
          status: 'critical',
          load: load(),
          lastOutput:
            'TTL expired (last output before timeout follows): tanks=14 cpu=22% mem=180MB viewers=240 behind=0',
        }),
      ]);
      expect(await find(d, id)).toBeUndefined();
      await d.passTtl(load());
      await until(async () => (await find(d, id))?.status === 'passing', 'passing after a heartbeat');
      handle.stop();
    });

    it('should drop a deregistered server, and deregistering twice is harmless', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id));
      await until(() => find(d, id), 'listed');
      await d.deregister();
      await until(async () => !(await find(d, id)), 'gone');
      await d.deregister();
      await expect(d.passTtl(load())).rejects.toBeInstanceOf(NotRegisteredError);
    });

    it('should tell a watcher when a server comes and when it goes, once per change', async () => {
      const [a, b] = [serverId(), serverId()];
      const watcher = make();
      const log = watchLog([a, b]);
      const handle = await watcher.watch(log.onChange);
      await until(() => log.calls.length > 0, 'the first view');
      const da = make();
      const db = make();
      await da.register(registration(a));
      await db.register(registration(b, { port: 18_002 }));
      await until(() => log.latest().length === 2, 'both servers');
      await da.passTtl(load({ tank_count: 1 }));
      await da.passTtl(load({ tank_count: 2 }));
      await db.close();
      await until(() => log.latest().length === 1, 'b gone');
      expect(log.latest().map((s) => s.serverId)).toEqual([a]);
      // Heartbeats that change only the load are not news: no two calls in a row show the same
      // members with the same statuses.
      const keys = log.calls.map((view) =>
        JSON.stringify(view.map(({ load: _l, lastOutput: _o, ...s }) => s)),
      );
      expect(keys.filter((key, i) => i > 0 && key === keys[i - 1])).toEqual([]);
      handle.stop();
    });

    it('should keep the gateway out of the server list', async () => {
      const id = serverId();
      const gateway = make();
      await gateway.register(registration(id, { service: 'tank-gateway' }));
      await gateway.passTtl(load());
      const server = make();
      const sid = serverId();
      await server.register(registration(sid));
      await until(() => find(server, sid), 'the server listed');
      expect(await find(server, id)).toBeUndefined();
    });

    it('should remember the last healthy view, marked stale', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id));
      const listed = await until(() => find(d, id), 'listed');
      const view = await d.lastKnown();
      expect(view.stale).toBe(true);
      expect(view.at).toBeInstanceOf(Date);
      expect(view.servers.find((s) => s.serverId === id)).toEqual(listed);
    });

    it('should refuse a registration Consul would reject, and a heartbeat before registering', async () => {
      const d = make();
      await expect(d.register(registration(serverId(), { capabilities: ['a,b'] }))).rejects.toBeInstanceOf(
        InvalidRegistrationError,
      );
      await expect(d.register(registration('Not_An_Id'))).rejects.toMatchObject({
        code: 'invalid_registration',
      });
      await expect(d.register(registration(serverId(), { address: '0.0.0.0' }))).rejects.toBeInstanceOf(
        InvalidRegistrationError,
      );
      await expect(d.passTtl(load())).rejects.toMatchObject({ code: 'not_registered' });
    });

    it('should deregister on close, close twice, and refuse calls afterwards', async () => {
      const id = serverId();
      const d = make();
      const observer = make();
      await d.register(registration(id));
      await until(() => find(observer, id), 'listed');
      await Promise.all([d.close(), d.close()]);
      await d.close();
      await until(async () => !(await find(observer, id)), 'gone after close');
      await expect(d.healthyServers()).rejects.toBeInstanceOf(DiscoveryClosedError);
      await expect(d.passTtl(load())).rejects.toMatchObject({ code: 'discovery_closed' });
    });
  });
}
