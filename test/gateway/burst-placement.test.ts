/**
 * @module
 * A burst of creates between two load reports spreads over the servers: each placement counts
 * as a tank (and as load) on its server until the next count and report, and a create in flight
 * holds its place, so the one that looked emptiest at the last read does not take every tank
 * (seen with 30 creates: 30 / 0 / 0; and 12 creates in a row: 10 / 2 through real processes).
 */
import { describe, expect, it } from 'vitest';
import { defaultPlacement } from '../../src/gateway/index.ts';
import { createLoadView } from '../../src/gateway/load-view.ts';
import { createRealtime, type ServerLoad } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { fakeServer } from './placement-fixture.ts';

const server = (serverId: string) => fakeServer(serverId, { region: 'local' });

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

async function setup(cleanup: (fn: () => Promise<void>) => void, cpus: Record<string, number>) {
  const store = createStore({ dataDir: 'memory://burst-placement' });
  cleanup(() => store.close());
  await store.migrate();
  const realtime = await createRealtime();
  cleanup(() => realtime.close());
  const reported = new Date(1_000_000).toISOString();
  for (const [id, cpu] of Object.entries(cpus))
    await realtime.setLoad(id, load(cpu, reported), { ttlMs: 60_000 });
  const view = () =>
    createLoadView({
      db: store.db,
      realtime,
      logger: createLogger({ level: 'silent' }),
      clock: () => 5_000_000,
    });
  return { realtime, view };
}

async function burst(loads: ReturnType<typeof createLoadView>, ids: string[], count: number) {
  const placement = defaultPlacement();
  const servers = ids.map(server);
  const placed: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (let i = 0; i < count; i++) {
    const chosen = placement.choose(servers, await loads.input());
    expect(chosen).toBeDefined();
    placed[chosen!]! += 1;
    loads.placed(chosen!);
  }
  return placed;
}

describe('placement of a burst between load reports', () => {
  it('should spread 30 creates evenly when CPU readings differ by noise only (a start-up sample)', async ({
    onTestFinished,
  }) => {
    const { view } = await setup(onTestFinished, { a: 171, b: 187, c: 180 });
    const placed = await burst(view(), ['a', 'b', 'c'], 30);
    expect(placed).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('should favour a calm server over a busy one until its placements make it busy too, then forget them on its next report', async ({
    onTestFinished,
  }) => {
    const { realtime, view } = await setup(onTestFinished, { idle: 5, busy: 85 });
    const placed = await burst(view(), ['idle', 'busy'], 80);
    // Each placement counts 1 % on the idle server: it takes every tank until it is within
    // 25 points of the busy one (55 tanks), then the counts even out.
    expect(placed.idle).toBeGreaterThanOrEqual(55);
    expect(placed.busy).toBeGreaterThan(0);

    await realtime.setLoad('idle', load(5, new Date(2_000_000).toISOString()), { ttlMs: 60_000 });
    const fresh = view();
    expect(defaultPlacement().choose(['idle', 'busy'].map(server), await fresh.input())).toBe('idle');
  });

  it('should spread creates that are all in flight at once (each holds its place until answered)', async ({
    onTestFinished,
  }) => {
    const { view } = await setup(onTestFinished, { a: 12, b: 14, c: 13 });
    const loads = view();
    const placement = defaultPlacement();
    const servers = ['a', 'b', 'c'].map(server);
    // 30 concurrent requests, all choosing before any create is answered.
    const held = await Promise.all(Array.from({ length: 30 }, () => loads.choose(placement, servers)));
    const tally = (ids: string[]) =>
      Object.fromEntries(['a', 'b', 'c'].map((id) => [id, ids.filter((x) => x === id).length]));
    expect(tally(held.map((choice) => choice!.serverId))).toEqual({ a: 10, b: 10, c: 10 });
    // Answered: a failed attempt gives its place back, a landed one is counted as placed.
    for (const choice of held) {
      if (choice!.serverId !== 'c') loads.placed(choice!.serverId);
      choice!.release();
      choice!.release();
    }
    expect(await loads.counts()).toEqual({ a: 10, b: 10 });
    expect(placement.choose(servers, await loads.input())).toBe('c');
  });
});
