/**
 * @module
 * The periodic snapshotter of a server on the harness PostgreSQL, at a short interval: the tanks
 * that changed are written together in one batch per interval; a paused tank that nothing
 * touches is not written again, and one change to it (a spawn) is written once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotter } from '../../src/server/snapshotter.ts';
import { listSnapshots } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;
const INTERVAL_MS = 200;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url, snapshotIntervalMs: INTERVAL_MS });
});

const create = async (name: string) =>
  (
    await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name },
    })
  ).tank.tank_id;
const snapshots = (id: string) => listSnapshots(t.store.db, id, { limit: 100 });

/** Waits until `id` has `more` snapshots beyond `from`: that many batches have run since. */
async function batches(id: string, from: number, more: number): Promise<void> {
  await waitFor(async () => (await snapshots(id)).length >= from + more, {
    what: `${more} more snapshots of the running tank`,
    timeout: 20_000,
  });
}

describe('the periodic snapshotter', () => {
  it('should write the running tanks in one batch per interval, with their frames', async () => {
    const one = await create('One');
    const two = await create('Two');
    await batches(one, 1, 3);
    const [a, b] = await Promise.all([snapshots(one), snapshots(two)]);
    // One insert per batch: the rows of a batch share its transaction's timestamp.
    const times = (list: typeof a) => new Set(list.slice(0, -1).map((s) => s.createdAt.toISOString()));
    const shared = [...times(a)].filter((at) => times(b).has(at));
    expect(shared.length).toBeGreaterThanOrEqual(2);
    // Newest first, frames moving on from batch to batch.
    const frames = a.map((s) => s.frame);
    expect([...frames].sort((x, y) => y - x)).toEqual(frames);
    expect(new Set(frames).size).toBe(frames.length);
  });

  it('should not write a paused tank again until something changes it, then write it once', async () => {
    const paused = await create('Paused');
    const witness = await create('Witness');
    await t.json(`/api/tanks/${paused}/pause`, 200, { method: 'POST', user: 'alice' });
    // The batch after the pause saves the frame it stopped at; none after that.
    await batches(witness, (await snapshots(witness)).length, 2);
    const settled = (await snapshots(paused)).length;
    await batches(witness, (await snapshots(witness)).length, 3);
    expect((await snapshots(paused)).length).toBe(settled);

    await t.json(`/api/tanks/${paused}/food`, 201, { method: 'POST', user: 'alice', body: { count: 2 } });
    await waitFor(async () => (await snapshots(paused)).length === settled + 1, {
      what: 'the change to the paused tank written',
    });
    await batches(witness, (await snapshots(witness)).length, 3);
    const after = await snapshots(paused);
    expect(after.length).toBe(settled + 1);
    expect(after[0]!.frame).toBe(after[1]!.frame);
  });

  it('should take a snapshot asked for now after the transfer step under way on the tank, not leave the tank out', async () => {
    const id = await create('Busy');
    const tank = t.server.host.get(id)!;
    // A second snapshotter of the same server over the same tanks: its own queue of steps.
    const snapshotter = createSnapshotter({
      serverId: 'server-test',
      host: t.server.host,
      db: t.store.db,
      logger: createLogger({ level: 'silent' }),
      onFenced: () => {},
    });
    let endStep = () => {};
    const stepping = new Promise<void>((resolve) => (endStep = resolve));
    const order: string[] = [];
    const step = snapshotter.exclusive([id], async () => {
      await stepping;
      order.push('step');
    });
    const before = (await snapshots(id)).length;
    const taken = snapshotter.flush({ tanks: [tank] }).then((n) => {
      order.push('snapshot');
      return n;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    // The snapshot has taken its turn in the tank's queue: a step asked for now waits for it.
    const later = snapshotter.exclusive([id], async () => (await snapshots(id)).length);
    endStep();
    expect(await taken).toBe(1);
    await step;
    expect(order).toEqual(['step', 'snapshot']);
    // Written before the later step began (the server's own batches may add more meanwhile).
    expect(await later).toBeGreaterThanOrEqual(before + 1);
  });
});
