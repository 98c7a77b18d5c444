/**
 * @module
 * The snapshotter's `exclusive`, which every transfer step that writes a tank's snapshot runs
 * in: steps on one tank run one after another, in call order (two at once could commit their
 * snapshots in the other order and leave the older state as the newest), steps on other tanks
 * run alongside, and a failing step does not block the next one.
 */
import { describe, expect, it } from 'vitest';
import { createSnapshotter } from '../../src/server/snapshotter.ts';
import { createStore } from '../../src/store/index.ts';
import { createTankHost } from '../../src/tank/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';

const cleanup = useCleanup();

/** A promise and the function that settles it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Every job that could run now has run (the queue moves on promises alone, no timers). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('snapshotter.exclusive', () => {
  it('should run steps on one tank one at a time in call order and steps on other tanks alongside', async () => {
    const db = await useDatabase({ cleanup });
    const logger = createLogger({ level: 'silent' });
    const store = cleanup.add(createStore({ databaseUrl: db.url, logger }));
    const snapshotter = createSnapshotter({
      serverId: 'server-x',
      host: createTankHost({}),
      db: store.db,
      logger,
      onFenced: () => {},
    });
    const log: string[] = [];
    const first = gate();
    const second = gate();
    const one = snapshotter.exclusive(['tank-a'], async () => {
      log.push('a1 start');
      await first.opened;
      log.push('a1 end');
      throw new Error('the first step fails');
    });
    const two = snapshotter.exclusive(['tank-a'], async () => {
      log.push('a2 start');
      await second.opened;
      log.push('a2 end');
      return 2;
    });
    const three = snapshotter.exclusive(['tank-a', 'tank-b'], async () => {
      log.push('ab start');
      return 3;
    });
    const other = snapshotter.exclusive(['tank-b'], async () => {
      log.push('b start');
      return 4;
    });
    // Nothing but the first step on tank-a has started; tank-b's steps wait only for tank-b's.
    await settled();
    expect(log).toEqual(['a1 start']);
    first.open();
    await expect(one).rejects.toThrow('the first step fails');
    await settled();
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start']);
    second.open();
    expect(await Promise.all([two, three, other])).toEqual([2, 3, 4]);
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end', 'ab start', 'b start']);
  });
});
