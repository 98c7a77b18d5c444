/**
 * @module
 * The TankHost scheduler a server runs all its tanks on: fixed steps at the tick rate,
 * broadcasts at their own rate, paused tanks skipped, a throwing tank stopped and reported
 * alone, and bounded catch-up when the process falls behind. Time is an injected clock with
 * vitest's fake timers, so the tests say exactly how many steps are due.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorld } from '../../src/sim/index.ts';
import { createTank, createTankHost, type Tank, type TankHost } from '../../src/tank/index.ts';

function tank(id: string): Tank {
  return createTank({
    id,
    world: createWorld({ seed: id.length, uidPrefix: id, initialFish: 3 }),
    meta: {
      name: id,
      description: '',
      owner: null,
      is_public: true,
      allow_transfers: true,
      seed: 1,
      created_at: new Date(0).toISOString(),
    },
  });
}

/** Counts the frames a tank broadcasts (one viewer that keeps nothing). */
function countBroadcasts(t: Tank): () => number {
  let n = 0;
  t.watch(() => {
    n++;
  });
  return () => n;
}

describe('TankHost', () => {
  let clock = 0;
  let host: TankHost | undefined;
  const failures: Array<[string, string]> = [];
  const ticks: Array<{ steps: number; behind: number }> = [];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    clock = 0;
    failures.length = 0;
    ticks.length = 0;
  });
  afterEach(async () => {
    await host?.stop();
    host = undefined;
    vi.useRealTimers();
  });

  function makeHost(options: { tickHz?: number; broadcastHz?: number; maxCatchUp?: number } = {}): TankHost {
    host = createTankHost({
      ...options,
      now: () => clock,
      onTankFailed: (t, err) => failures.push([t.id, (err as Error).message]),
      onTick: ({ steps, behind }) => ticks.push({ steps, behind }),
    });
    return host;
  }

  /**
   * Starts the host, then moves the clock 1 ms on: every later check then falls 1 ms into a
   * tick, away from the exact boundaries (1000 / 30 ms is not exact in floating point).
   */
  function start(h: TankHost): void {
    h.start();
    clock += 1;
  }

  /** Lets `ms` of time pass in small slices, as a steady event loop would see it. */
  async function run(ms: number, slice = 5): Promise<void> {
    for (let passed = 0; passed < ms; passed += slice) {
      clock += slice;
      await vi.advanceTimersByTimeAsync(slice);
    }
  }

  it('should step every running tank once per tick at the tick rate, and broadcast at its own rate', async () => {
    const h = makeHost({ tickHz: 30, broadcastHz: 15 });
    const a = tank('a');
    const b = tank('b');
    const broadcasts = countBroadcasts(a);
    h.add(a);
    h.add(b);
    start(h);
    await run(1000);
    expect(a.world.frame).toBe(30);
    expect(b.world.frame).toBe(30);
    expect(broadcasts()).toBe(15);
    expect(ticks.every((t) => t.steps === 1 && t.behind === 0)).toBe(true);
    expect(h.load()).toMatchObject({ tank_count: 2, running: 2, ticks_behind: 0 });
  });

  it('should skip paused tanks and pick them up again on resume', async () => {
    const h = makeHost();
    const a = tank('a');
    const b = tank('b');
    h.add(a);
    h.add(b);
    start(h);
    b.pause();
    await run(500);
    expect(a.world.frame).toBe(15);
    expect(b.world.frame).toBe(0);
    expect(h.load().running).toBe(1);
    b.resume();
    await run(500);
    expect(b.world.frame).toBe(15);
  });

  it('should step a tank only while it ticks here: not frozen, not removed, not replaced by another under its id', async () => {
    const h = makeHost();
    const a = tank('a');
    const b = tank('b');
    const c = tank('c');
    h.add(a);
    h.add(b);
    h.add(c);
    start(h);
    a.freeze();
    h.remove('b');
    const c2 = tank('c');
    h.add(c2); // the same id, another tank (a restore): the first one is not stepped any more
    await run(500);
    expect([a.world.frame, b.world.frame, c.world.frame, c2.world.frame]).toEqual([0, 0, 0, 15]);
    a.thaw();
    b.resume(); // not hosted: resuming it does not bring it back
    c.pause();
    c.resume();
    await run(500);
    expect([a.world.frame, b.world.frame, c.world.frame, c2.world.frame]).toEqual([15, 0, 0, 30]);
    // A paused tank whose world is replaced running (an adopt, a restore) is stepped again.
    c2.pause();
    await run(200);
    c2.replaceWorld(createWorld({ seed: 3, uidPrefix: 'r', initialFish: 1 }), { paused: false });
    await run(500);
    expect(c2.world.frame).toBe(15);
    expect(h.load()).toMatchObject({ tank_count: 2, running: 2 });
  });

  it('should stop a tank whose step throws, report it once, and keep stepping the others', async () => {
    const h = makeHost();
    const good = tank('good');
    const bad = tank('bad');
    bad.step = () => {
      throw new Error('boom');
    };
    h.add(bad);
    h.add(good);
    start(h);
    await run(1000);
    expect(failures).toEqual([['bad', 'boom']]);
    expect(bad.status).toBe('failed');
    expect(bad.error).toBe('boom');
    expect(good.world.frame).toBe(30);
    expect(h.load()).toMatchObject({ tank_count: 2, running: 1 });
  });

  it('should catch up at most maxCatchUp steps after a stall, and report the ticks it dropped', async () => {
    const h = makeHost({ tickHz: 30, maxCatchUp: 3 });
    const a = tank('a');
    h.add(a);
    start(h);
    await run(100);
    expect(a.world.frame).toBe(3);
    // The process stalls for a second: 30 ticks are due at once.
    clock += 1000;
    await vi.advanceTimersByTimeAsync(40);
    expect(a.world.frame).toBe(6);
    expect(h.load().ticks_behind).toBe(27);
    expect(h.load()).toMatchObject({ ticks_due: 33, ticks_dropped: 27 });
    expect(ticks.at(-1)).toMatchObject({ steps: 3, behind: 27 });
    // Then it runs at the tick rate again, from now on, and the backlog report fades.
    const frame = a.world.frame;
    await run(1000);
    expect(a.world.frame - frame).toBe(30);
    expect(h.load().ticks_behind).toBe(0);
    // What was dropped stays counted: the heartbeat reports the share dropped per interval.
    expect(h.load()).toMatchObject({ ticks_due: 63, ticks_dropped: 27 });
  });

  it('should run no ticks once stopped', async () => {
    const h = makeHost();
    const a = tank('a');
    h.add(a);
    start(h);
    await run(200);
    await h.stop();
    const frame = a.world.frame;
    await run(500);
    expect(a.world.frame).toBe(frame);
    expect(h.remove('a')).toBe(a);
    expect(h.get('a')).toBeUndefined();
  });
});
