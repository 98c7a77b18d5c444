/**
 * @module
 * The fleet timing settings: the defaults and the `fast` profile come to the lease, load report
 * interval and failover grace docs/failover.md argues for, each may be set alone, and the
 * combinations that would let a live owner run a tank restored elsewhere (or fence itself
 * between two passes) are refused when the process starts, naming the variables.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  FAST_PROFILE,
  fleetTiming,
  loadGatewayConfig,
  loadServerConfig,
} from '../../src/config.ts';

describe('the fleet timing', () => {
  it('should default to a 2 s heartbeat, a 6 s TTL and a 1 s margin', () => {
    const config = loadServerConfig([], {});
    expect(fleetTiming(config)).toEqual({
      heartbeatMs: 2000,
      ttlMs: 6000,
      leaseMarginMs: 1000,
      leaseMs: 5000,
      loadReportMs: 2000,
      failoverRoundMs: 1000,
      failoverGraceMs: 2000,
      // A server that vanished without turning critical may have passed just before: + the lease.
      failoverAbsentGraceMs: 7000,
    });
  });

  it('should take the fast profile from FLEET_PROFILE, under settings given one by one', () => {
    const gateway = loadGatewayConfig([], { FLEET_PROFILE: 'fast' });
    expect(gateway).toMatchObject({ heartbeatMs: Number(FAST_PROFILE.heartbeatMs), checkTtl: '1s' });
    expect(fleetTiming(gateway)).toEqual({
      heartbeatMs: 250,
      ttlMs: 1000,
      leaseMarginMs: 250,
      leaseMs: 750,
      // The load and stats writes stay at 2 s: a fast TTL does not multiply database writes.
      loadReportMs: 2000,
      failoverRoundMs: 250,
      failoverGraceMs: 500,
      failoverAbsentGraceMs: 1250,
    });
    const server = loadServerConfig(['--check-ttl', '2s'], { FLEET_PROFILE: 'fast', HEARTBEAT_MS: '400' });
    expect(fleetTiming(server)).toMatchObject({ heartbeatMs: 400, ttlMs: 2000, leaseMarginMs: 250 });
  });

  it('should refuse a margin as long as the TTL, a heartbeat past the lease, and a grace under the margin', () => {
    expect(() => loadServerConfig([], { CHECK_TTL: '2s', LEASE_MARGIN_MS: '2000' })).toThrow(
      /LEASE_MARGIN_MS \(2000\) must be less than CHECK_TTL/,
    );
    expect(() => loadServerConfig([], { CHECK_TTL: '3s', HEARTBEAT_MS: '2500' })).toThrow(
      /HEARTBEAT_MS \(2500\) must be shorter than the lease/,
    );
    expect(() => loadGatewayConfig([], { FAILOVER_GRACE_MS: '1500' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig([], { FAILOVER_GRACE_MS: '1500' })).toThrow(/FAILOVER_GRACE_MS \(1500\)/);
    // 0 still turns failover off, and a longer grace is always safe.
    expect(fleetTiming(loadGatewayConfig([], { FAILOVER_GRACE_MS: '0' })).failoverGraceMs).toBe(0);
    expect(fleetTiming(loadGatewayConfig([], { FAILOVER_GRACE_MS: '30000' })).failoverGraceMs).toBe(30_000);
    expect(() => loadServerConfig([], { FLEET_PROFILE: 'quick' })).toThrow(/FLEET_PROFILE/);
  });
});
