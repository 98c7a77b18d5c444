/**
 * @module
 * The `Realtime` contract, run against every adapter (`local.test.ts`, `redis.test.ts`), so
 * the in-process state cannot drift from Redis: same expiry, same decoded values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidRealtimeValueError,
  type NetworkEvent,
  type Realtime,
  RealtimeUnavailableError,
  type ServerLoad,
  type TankStats,
} from '../../src/realtime/index.ts';

/** One adapter under test, fresh per test (a new prefix for Redis, a new clock for local). */
export interface RealtimeFixture {
  realtime: Realtime;
  /** Lets `ms` pass for expiry: the fake clock moves, or the test really waits. */
  elapse(ms: number): Promise<void>;
}

export type MakeRealtime = (options: { onError: (err: unknown) => void }) => Promise<RealtimeFixture>;

const AT = '2026-11-25T06:00:00.000Z';

export function load(overrides: Partial<ServerLoad> = {}): ServerLoad {
  return {
    tank_count: 3,
    cpu_percent: 41.25,
    memory_mb: 212.5,
    ws_connections: 17,
    ticks_behind: 0,
    updated_at: AT,
    ...overrides,
  };
}

export function stats(overrides: Partial<TankStats> = {}): TankStats {
  return {
    server_id: 'server-1',
    frame: 1200,
    fish_count: 25,
    generation: 4,
    max_generation: 7,
    total_extinctions: 1,
    total_energy: 5312.75,
    fish_energy: 4100.5,
    plant_energy: 1212.25,
    client_count: 2,
    updated_at: AT,
    ...overrides,
  };
}

/** One of each event type: the union, end to end. */
export const EVENTS: NetworkEvent[] = [
  { type: 'tank_created', tank_id: 'tank-a', server_id: 'server-1', at: AT },
  { type: 'tank_deleted', tank_id: 'tank-a', server_id: 'server-1', at: AT },
  { type: 'tank_moved', tank_id: 'tank-b', from: 'server-1', to: 'server-2', epoch: 3, at: AT },
  { type: 'server_up', server_id: 'server-2', at: AT },
  { type: 'server_down', server_id: 'server-1', at: AT },
  {
    type: 'transfer_step',
    transfer_id: 'xfer-1',
    step: 'prepared',
    source_tank_id: 'tank-a',
    dest_tank_id: 'tank-b',
    at: AT,
  },
];

/** Queues what a subscription receives so a test can await each event in turn. */
export function collector() {
  const received: NetworkEvent[] = [];
  const waiters: Array<(event: NetworkEvent) => void> = [];
  return {
    received,
    handler(event: NetworkEvent): void {
      const waiter = waiters.shift();
      if (waiter) waiter(event);
      else received.push(event);
    },
    next(): Promise<NetworkEvent> {
      const queued = received.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

export function realtimeContract(make: MakeRealtime): void {
  describe('Realtime contract', () => {
    let fixture: RealtimeFixture;
    let realtime: Realtime;
    let errors: unknown[];

    beforeEach(async () => {
      errors = [];
      fixture = await make({ onError: (err) => errors.push(err) });
      realtime = fixture.realtime;
    });

    afterEach(async () => {
      await realtime.close();
    });

    describe('loads', () => {
      it('should return every server load as written', async () => {
        await realtime.setLoad('server-1', load(), { ttlMs: 10_000 });
        await realtime.setLoad('server-2', load({ tank_count: 0, cpu_percent: 0.5 }), { ttlMs: 10_000 });
        expect(await realtime.loads()).toEqual(
          new Map([
            ['server-1', load()],
            ['server-2', load({ tank_count: 0, cpu_percent: 0.5 })],
          ]),
        );
      });

      it('should replace a load with the newer one', async () => {
        await realtime.setLoad('server-1', load(), { ttlMs: 10_000 });
        await realtime.setLoad('server-1', load({ ticks_behind: 4 }), { ttlMs: 10_000 });
        expect(await realtime.loads()).toEqual(new Map([['server-1', load({ ticks_behind: 4 })]]));
      });

      it('should leave out a load once its ttl has passed', async () => {
        await realtime.setLoad('server-1', load(), { ttlMs: 150 });
        await realtime.setLoad('server-2', load(), { ttlMs: 10_000 });
        await fixture.elapse(250);
        expect([...(await realtime.loads()).keys()]).toEqual(['server-2']);
      });

      it('should keep a load alive while it is refreshed', async () => {
        await realtime.setLoad('server-1', load(), { ttlMs: 200 });
        await fixture.elapse(120);
        await realtime.setLoad('server-1', load({ tank_count: 4 }), { ttlMs: 200 });
        await fixture.elapse(120);
        expect(await realtime.loads()).toEqual(new Map([['server-1', load({ tank_count: 4 })]]));
      });

      it('should return an empty map when no server has written', async () => {
        expect(await realtime.loads()).toEqual(new Map());
      });
    });

    describe('tank stats', () => {
      it('should return the stats of the asked tanks in one call, leaving out unknown ones', async () => {
        await realtime.setTankStats('tank-a', stats(), { ttlMs: 10_000 });
        await realtime.setTankStats('tank-b', stats({ fish_count: 3 }), { ttlMs: 10_000 });
        await realtime.setTankStats('tank-c', stats({ server_id: 'server-2' }), { ttlMs: 10_000 });
        expect(await realtime.tankStats(['tank-c', 'tank-a', 'tank-unknown'])).toEqual(
          new Map([
            ['tank-c', stats({ server_id: 'server-2' })],
            ['tank-a', stats()],
          ]),
        );
      });

      it('should return an empty map for no tanks', async () => {
        expect(await realtime.tankStats([])).toEqual(new Map());
      });

      it('should leave out stats once their ttl has passed', async () => {
        await realtime.setTankStats('tank-a', stats(), { ttlMs: 150 });
        await realtime.setTankStats('tank-b', stats(), { ttlMs: 10_000 });
        await fixture.elapse(250);
        expect([...(await realtime.tankStats(['tank-a', 'tank-b'])).keys()]).toEqual(['tank-b']);
      });
    });

    describe('publish and subscribe', () => {
      it('should deliver every event type as an equal but separate value', async () => {
        const events = collector();
        await realtime.subscribe(events.handler);
        for (const event of EVENTS) await realtime.publish(event);
        for (const event of EVENTS) {
          const received = await events.next();
          expect(received).toEqual(event);
          // Decoded from the message text, never the publisher's own object.
          expect(received).not.toBe(event);
        }
      });

      it('should give each subscriber its own copy', async () => {
        const first = collector();
        const second = collector();
        await realtime.subscribe(first.handler);
        await realtime.subscribe(second.handler);
        await realtime.publish(EVENTS[0]);
        const [a, b] = await Promise.all([first.next(), second.next()]);
        expect(a).toEqual(EVENTS[0]);
        expect(b).toEqual(EVENTS[0]);
        expect(a).not.toBe(b);
      });

      it('should stop calling a handler once unsubscribed', async () => {
        const leaving = collector();
        const staying = collector();
        const unsubscribe = await realtime.subscribe(leaving.handler);
        await realtime.subscribe(staying.handler);
        await realtime.publish(EVENTS[0]);
        await Promise.all([leaving.next(), staying.next()]);
        await unsubscribe();
        await unsubscribe();
        await realtime.publish(EVENTS[1]);
        // Delivery is in order to all handlers, so once `staying` has it, `leaving` would have.
        expect(await staying.next()).toEqual(EVENTS[1]);
        expect(leaving.received).toEqual([]);
      });

      it('should report a throwing handler and still deliver to the others', async () => {
        const events = collector();
        await realtime.subscribe(() => {
          throw new Error('handler bug');
        });
        await realtime.subscribe(events.handler);
        await realtime.publish(EVENTS[3]);
        expect(await events.next()).toEqual(EVENTS[3]);
        expect(errors).toEqual([new Error('handler bug')]);
      });

      it('should reject an event that does not fit the schema', async () => {
        const bad = { type: 'server_up', server_id: '', at: 'yesterday' } as NetworkEvent;
        await expect(realtime.publish(bad)).rejects.toThrow(InvalidRealtimeValueError);
      });
    });

    describe('bad input', () => {
      it('should reject a load that does not fit the schema', async () => {
        await expect(
          realtime.setLoad('server-1', load({ cpu_percent: Number.NaN }), { ttlMs: 1000 }),
        ).rejects.toThrow(InvalidRealtimeValueError);
      });

      it('should reject a ttl that is not a positive integer', async () => {
        await expect(realtime.setLoad('server-1', load(), { ttlMs: 0 })).rejects.toThrow(RangeError);
        await expect(realtime.setTankStats('tank-a', stats(), { ttlMs: 1.5 })).rejects.toThrow(RangeError);
      });
    });

    describe('close', () => {
      it('should resolve when called twice, and refuse work afterwards', async () => {
        await Promise.all([realtime.close(), realtime.close()]);
        await realtime.close();
        await expect(realtime.setLoad('server-1', load(), { ttlMs: 1000 })).rejects.toThrow(
          RealtimeUnavailableError,
        );
        await expect(realtime.publish(EVENTS[0])).rejects.toMatchObject({ code: 'realtime_unavailable' });
        await expect(realtime.subscribe(() => {})).rejects.toThrow(RealtimeUnavailableError);
      });
    });
  });
}
