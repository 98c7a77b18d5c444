/**
 * @module
 * A burst of creates between two load reports spreads over the servers: each placement counts
 * as load on its server until that server reports again, so the one that looked idlest at its
 * last heartbeat does not take every tank (seen with 30 creates: 30 / 0 / 0 before).
 */
import { describe, expect, it } from 'vitest';
import type { ServerInstance } from '../../src/discovery/index.ts';
import { defaultPlacement } from '../../src/gateway/index.ts';
import { createLoadView } from '../../src/gateway/load-view.ts';
import { createRealtime, type ServerLoad } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';

function server(serverId: string): ServerInstance {
  return {
    serverId,
    address: '127.0.0.1',
    port: 1,
    region: 'local',
    zone: 'local-a',
    version: '2.0.0',
    capabilities: [],
    publicUrl: 'http://127.0.0.1:1',
    wsUrl: 'ws://127.0.0.1:1',
    startedAt: new Date(0).toISOString(),
    status: 'passing',
    lastOutput: '',
  };
}

function load(cpu: number, updatedAt: string): ServerLoad {
  return {
    tank_count: 0,
    cpu_percent: cpu,
    memory_mb: 100,
    ws_connections: 0,
    ticks_behind: 0,
    updated_at: updatedAt,
  };
}

describe('placement of a burst between load reports', () => {
  it('should spread 30 creates over 3 servers, and forget its estimate once a server reports again', async ({
    onTestFinished,
  }) => {
    const store = createStore({ dataDir: 'memory://burst-placement' });
    onTestFinished(() => store.close());
    await store.migrate();
    const realtime = await createRealtime();
    onTestFinished(() => realtime.close());
    const first = new Date(1_000_000).toISOString();
    await realtime.setLoad('a', load(2, first), { ttlMs: 60_000 });
    await realtime.setLoad('b', load(15, first), { ttlMs: 60_000 });
    await realtime.setLoad('c', load(16, first), { ttlMs: 60_000 });
    const now = 5_000_000;
    const loads = createLoadView({
      db: store.db,
      realtime,
      logger: createLogger({ level: 'silent' }),
      clock: () => now,
    });
    const placement = defaultPlacement();
    const servers = ['a', 'b', 'c'].map(server);

    const placed: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30; i++) {
      const chosen = placement.choose(servers, await loads.input());
      expect(chosen).toBeDefined();
      placed[chosen!]! += 1;
      loads.placed(chosen!);
    }
    // The idlest server gets the most, but every server gets a share.
    expect(placed.a).toBeGreaterThan(placed.b!);
    for (const id of ['a', 'b', 'c']) expect(placed[id]).toBeGreaterThanOrEqual(5);
    expect(placed.a! + placed.b! + placed.c!).toBe(30);

    // A new report from `a` replaces the estimate: it is idle again, so it is chosen next.
    await realtime.setLoad('a', load(2, new Date(2_000_000).toISOString()), { ttlMs: 60_000 });
    const fresh = createLoadView({
      db: store.db,
      realtime,
      logger: createLogger({ level: 'silent' }),
      clock: () => now,
    });
    expect(placement.choose(servers, await fresh.input())).toBe('a');
  });
});
