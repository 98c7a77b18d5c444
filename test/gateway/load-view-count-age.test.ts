/**
 * @module
 * How often the load view counts tanks per server: after `maxAgeMs` when the count is quick, and
 * after ten times what it took when it is slow (at a million tanks it took 270 ms; asked every
 * second it took a core of PostgreSQL from the failover placing the tanks). The clock is
 * injected: a count "takes" what the clock moves while it runs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadView } from '../../src/gateway/load-view.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createLocation, createStore, createTank, type Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';

// One store for the file (PGlite's migration is most of its time); each test counts its own servers.
let store: Store;
beforeAll(async () => {
  store = createStore({ dataDir: 'memory://count-age' });
  await store.migrate();
});
afterAll(() => store.close());

async function setup(cleanup: (fn: () => Promise<void>) => void) {
  const realtime = await createRealtime();
  cleanup(() => realtime.close());
  const clock = { now: 0 };
  const view = createLoadView({
    db: store.db,
    realtime,
    logger: createLogger({ level: 'silent' }),
    maxAgeMs: 1000,
    clock: () => clock.now,
  });
  const prefix = randomUUID().slice(0, 8);
  const id = (name: string) => `${name}-${prefix}`;
  async function place(name: string): Promise<void> {
    const tank = await createTank(store.db, { tankId: randomUUID(), name: 'Reef', owner: 'alice', seed: 7 });
    await createLocation(store.db, { tankId: tank.tankId, serverId: id(name) });
  }
  /** This test's servers' counts, by the names it gave them. */
  async function counts(): Promise<Record<string, number>> {
    const all = await view.counts();
    return Object.fromEntries(
      Object.entries(all)
        .filter(([serverId]) => serverId.endsWith(`-${prefix}`))
        .map(([serverId, n]) => [serverId.slice(0, -prefix.length - 1), n]),
    );
  }
  return { counts, clock, place };
}

describe('the load view count age', () => {
  it('should count again after maxAgeMs when the count was quick', async ({ onTestFinished }) => {
    const { counts, clock, place } = await setup(onTestFinished);
    await place('a');
    expect(await counts()).toEqual({ a: 1 });
    await place('b');
    clock.now = 999;
    expect(await counts()).toEqual({ a: 1 });
    clock.now = 1000;
    expect(await counts()).toEqual({ a: 1, b: 1 });
  });

  it('should wait ten times what a slow count took before counting again', async ({ onTestFinished }) => {
    const { counts, clock, place } = await setup(onTestFinished);
    await place('a');
    const first = counts();
    clock.now = 500; // the count runs from 0 to 500
    expect(await first).toEqual({ a: 1 });
    await place('b');
    clock.now = 2000; // past maxAgeMs, but within 10 × 500 ms of the count's end
    expect(await counts()).toEqual({ a: 1 });
    clock.now = 5500;
    expect(await counts()).toEqual({ a: 1, b: 1 });
  });
});
