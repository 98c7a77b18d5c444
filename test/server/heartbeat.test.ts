/**
 * @module
 * The heartbeat's verdict on saturation: a server reports `warning` only when it dropped a real
 * share of the interval's ticks (or holds more tanks than its soft cap), not for a stall of a
 * few ticks — one such stall at a start-up beat kept a server out of placement altogether.
 */
import { describe, expect, it } from 'vitest';
import type { Discovery, PassTtlOptions, ServerLoad } from '../../src/discovery/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createHeartbeat } from '../../src/server/heartbeat.ts';
import type { Db } from '../../src/store/index.ts';
import type { HostLoad, TankHost } from '../../src/tank/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { waitFor } from '../support/index.ts';

/** A host whose tick counters the test sets. */
function host(ticks: { due: number; dropped: number }): TankHost {
  const load = (): HostLoad => ({
    tank_count: 3,
    running: 3,
    ticks_behind: 0,
    ticks_due: ticks.due,
    ticks_dropped: ticks.dropped,
    tick_ms: 1,
  });
  return { load, list: () => [] } as unknown as TankHost;
}

/** A discovery that records each TTL pass. */
function discovery(passes: Array<{ load: ServerLoad; status?: string }>): Discovery {
  return {
    register: async () => {},
    passTtl: async (load: ServerLoad, options?: PassTtlOptions) => {
      passes.push({ load, status: options?.status });
    },
  } as unknown as Discovery;
}

describe('the heartbeat', () => {
  it('should stay passing through a stall of a few ticks and turn warning when a tenth of the ticks are dropped', async ({
    onTestFinished,
  }) => {
    const realtime = await createRealtime();
    onTestFinished(() => realtime.close());
    const ticks = { due: 0, dropped: 0 };
    const passes: Array<{ load: ServerLoad; status?: string }> = [];
    const heartbeat = createHeartbeat({
      self: {
        serverId: 's1',
        address: '127.0.0.1',
        port: 1,
        region: 'local',
        zone: 'local-a',
        version: '2.0.0',
        capabilities: [],
        publicUrl: 'http://127.0.0.1:1',
        wsUrl: 'ws://127.0.0.1:1',
        startedAt: new Date(0).toISOString(),
      },
      discovery: discovery(passes),
      realtime,
      // The store is down: the beat still passes the check (store failures are only logged).
      db: {} as Db,
      host: host(ticks),
      logger: createLogger({ level: 'silent' }),
      intervalMs: 60_000,
      viewerCount: () => 0,
    });
    // A start-up stall: 5 of the first 10 ticks dropped.
    Object.assign(ticks, { due: 10, dropped: 5 });
    await heartbeat.start();
    onTestFinished(() => heartbeat.stop());
    expect(passes.at(-1)).toMatchObject({ status: 'passing', load: { ticks_behind: 5 } });
    // The next interval drops 60 of 300: saturated.
    Object.assign(ticks, { due: 310, dropped: 65 });
    await heartbeat.beat();
    expect(passes.at(-1)).toMatchObject({ status: 'warning', load: { ticks_behind: 60 } });
    // Then it keeps up again.
    Object.assign(ticks, { due: 610, dropped: 65 });
    await heartbeat.beat();
    expect(passes.at(-1)).toMatchObject({ status: 'passing', load: { ticks_behind: 0 } });
  });
});

describe('the heartbeat at a fast TTL', () => {
  it('should renew the lease from the send time of each pass and write the load no faster than its own interval', async ({
    onTestFinished,
  }) => {
    const realtime = await createRealtime();
    onTestFinished(() => realtime.close());
    // The lease clock: each pass takes 1000 of it to answer (a slow agent).
    let now = 0;
    const passes: Array<{ load: ServerLoad; status?: string }> = [];
    const slow: Discovery = {
      ...discovery(passes),
      passTtl: async (load: ServerLoad, options?: PassTtlOptions) => {
        passes.push({ load, status: options?.status });
        now += 1000;
      },
    };
    const renewals: number[] = [];
    const heartbeat = createHeartbeat({
      self: {
        serverId: 's-fast',
        address: '127.0.0.1',
        port: 1,
        region: 'local',
        zone: 'local-a',
        version: '2.0.0',
        capabilities: [],
        publicUrl: 'http://127.0.0.1:1',
        wsUrl: 'ws://127.0.0.1:1',
        startedAt: new Date(0).toISOString(),
      },
      discovery: slow,
      realtime,
      db: {} as Db,
      host: host({ due: 0, dropped: 0 }),
      logger: createLogger({ level: 'silent' }),
      intervalMs: 20,
      loadEveryMs: 3_600_000,
      now: () => now,
      onPassed: (sentAt) => renewals.push(sentAt),
      viewerCount: () => 0,
    });
    await heartbeat.start();
    onTestFinished(() => heartbeat.stop());
    const firstWrite = (await realtime.loads()).get('s-fast');
    expect(firstWrite).toBeDefined();
    await waitFor(() => passes.length >= 6, { what: 'six TTL passes', timeout: 10_000 });
    await heartbeat.stop();
    // The registration at 0, then one pass per beat, each renewing from when it was sent.
    expect(renewals.slice(0, 4)).toEqual([0, 0, 1000, 2000]);
    // Six passes, one load write: the one at start (a forced beat).
    expect((await realtime.loads()).get('s-fast')).toEqual(firstWrite);
  });
});
