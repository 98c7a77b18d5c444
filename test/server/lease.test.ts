/**
 * @module
 * The lease on a manual clock: it runs from the SEND time of the last successful TTL pass, it
 * fences on the first read past its end (a process resumed from SIGSTOP acts on nothing before
 * noticing), its own timer fences an idle server, and only a recovery (`resume`) takes it back.
 */
import { describe, expect, it } from 'vitest';
import { createLease, type LeaseState } from '../../src/server/lease.ts';
import { createManualClock } from '../discovery/manual-clock.ts';

function leaseOn(leaseMs = 5000) {
  const clock = createManualClock(0);
  const changes: Array<{ state: LeaseState; at: number; sinceRenewalMs: number }> = [];
  const lease = createLease({
    leaseMs,
    now: clock.now,
    schedule: clock.schedule,
    onChange: (state, { sinceRenewalMs }) => changes.push({ state, at: clock.now(), sinceRenewalMs }),
  });
  return { clock, lease, changes };
}

describe('the lease', () => {
  it('should not be held before the first pass, nor by a pass alone until resumed', () => {
    const { clock, lease, changes } = leaseOn();
    expect(lease.held()).toBe(false);
    expect(lease.state()).toBe('starting');
    lease.renewed(lease.sending());
    expect(lease.held()).toBe(false);
    expect(lease.renewable()).toBe(true);
    expect(lease.resume()).toBe(true);
    expect(lease.held()).toBe(true);
    expect(changes).toEqual([{ state: 'held', at: 0, sinceRenewalMs: 0 }]);
    clock.advance(4999);
    expect(lease.remainingMs()).toBe(1);
  });

  it('should run from the send time of the pass, not from its answer', () => {
    const { clock, lease } = leaseOn();
    const sentAt = lease.sending();
    // The agent answers 3 s later (a slow network): the lease still ends 5 s after the send.
    clock.advance(3000);
    lease.renewed(sentAt);
    lease.resume();
    clock.advance(1999);
    expect(lease.held()).toBe(true);
    clock.advance(1);
    expect(lease.held()).toBe(false);
    expect(lease.state()).toBe('fenced');
  });

  it('should fence on its own timer when nothing reads it, and once only', () => {
    const { clock, lease, changes } = leaseOn();
    lease.renewed(lease.sending());
    lease.resume();
    clock.advance(2000);
    lease.renewed(lease.sending());
    clock.advance(4999);
    expect(changes.map((c) => c.state)).toEqual(['held']);
    clock.advance(1);
    expect(changes).toEqual([
      { state: 'held', at: 0, sinceRenewalMs: 0 },
      { state: 'fenced', at: 7000, sinceRenewalMs: 5000 },
    ]);
    expect(lease.held()).toBe(false);
    clock.advance(60_000);
    expect(changes).toHaveLength(2);
  });

  it('should fence on the first read after a pause, before any timer has run', () => {
    // A clock that jumps without running timers: the process was stopped (SIGSTOP) for 30 s.
    let now = 0;
    const fired: string[] = [];
    const lease = createLease({
      leaseMs: 5000,
      now: () => now,
      schedule: () => () => {},
      onChange: (state) => fired.push(state),
    });
    lease.renewed(lease.sending());
    lease.resume();
    now = 30_000;
    expect(lease.held()).toBe(false);
    expect(fired).toEqual(['held', 'fenced']);
  });

  it('should fence, not extend, a lease that ran out unnoticed before a pass succeeded', () => {
    // Stopped for 30 s; on SIGCONT a pass is the first thing to run and it succeeds at once.
    let now = 0;
    const fired: string[] = [];
    const lease = createLease({
      leaseMs: 5000,
      now: () => now,
      schedule: () => () => {},
      onChange: (state) => fired.push(state),
    });
    lease.renewed(lease.sending());
    lease.resume();
    now = 30_000;
    lease.renewed(lease.sending());
    // The tanks may have moved meanwhile: fenced until a recovery re-reads them and resumes.
    expect(fired).toEqual(['held', 'fenced']);
    expect(lease.held()).toBe(false);
    expect(lease.resume()).toBe(true);
  });

  it('should not take an old pass that finished late for a renewal', () => {
    const { clock, lease } = leaseOn();
    const early = lease.sending();
    clock.advance(1000);
    lease.renewed(lease.sending());
    lease.resume();
    // The pass sent first answers last: the lease keeps running from the later send.
    lease.renewed(early);
    clock.advance(4500);
    expect(lease.held()).toBe(true);
    clock.advance(500);
    expect(lease.held()).toBe(false);
  });

  it('should stay fenced after a pass until resumed, and refuse to resume once run out again', () => {
    const { clock, lease } = leaseOn();
    lease.renewed(lease.sending());
    lease.resume();
    clock.advance(10_000);
    expect(lease.state()).toBe('fenced');
    const sentAt = lease.sending();
    lease.renewed(sentAt);
    // The pass succeeded, but the server has not re-read its tanks yet.
    expect(lease.held()).toBe(false);
    // The re-read took longer than the lease: it must not resume on a lease run out.
    clock.advance(5000);
    expect(lease.resume()).toBe(false);
    expect(lease.state()).toBe('fenced');
    lease.renewed(lease.sending());
    expect(lease.resume()).toBe(true);
    expect(lease.held()).toBe(true);
  });

  it('should refuse a lease that is not positive', () => {
    expect(() => createLease({ leaseMs: 0 })).toThrow(RangeError);
  });
});
