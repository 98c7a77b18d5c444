/**
 * @module
 * The fleet's timing settings, as `src/config.ts` reads them: the TTL pass interval, the Consul
 * TTL, the lease margin, the load report interval and the failover grace; the `fast` profile;
 * and the one function that derives the rest from them (`fleetTimingOf`) and refuses unsafe
 * combinations. Why each bound holds is docs/failover.md.
 */
import { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { parseGoDuration } from './discovery/index.ts';

const millis = z.coerce.number().int().positive();

/** Fields of the server's and the gateway's schemas. Give every process of a fleet the same values. */
export const fleetSettings = {
  /** `default` or `fast`: the defaults of the settings below (each may still be set alone). */
  fleetProfile: z.enum(['default', 'fast']).default('default'),
  /** Interval of TTL passes (the heartbeat). */
  heartbeatMs: millis.default(2000),
  /** The Consul TTL of the heartbeat check (a Go duration). */
  checkTtl: z.string().default('6s'),
  /** The lease is CHECK_TTL less this; unset = a sixth of the TTL (1 s of 6 s). */
  leaseMarginMs: millis.optional(),
  /** Interval of the load and tank stats writes to Redis and PostgreSQL; unset = max(2 s, heartbeat). */
  loadReportMs: millis.optional(),
};

export const FLEET_ENV: Record<keyof typeof fleetSettings, string> = {
  fleetProfile: 'FLEET_PROFILE',
  heartbeatMs: 'HEARTBEAT_MS',
  checkTtl: 'CHECK_TTL',
  leaseMarginMs: 'LEASE_MARGIN_MS',
  loadReportMs: 'LOAD_REPORT_MS',
};

/** `FLEET_PROFILE=fast`: a TTL pass every 250 ms, a 1 s TTL, a 250 ms margin (docs/failover.md). */
export const FAST_PROFILE = { heartbeatMs: '250', checkTtl: '1s', leaseMarginMs: '250' } as const;

/**
 * Raw settings with the profile's values filled in where none was given.
 *
 * @example
 * ```ts
 * applyFleetProfile({ fleetProfile: 'fast', checkTtl: '2s' }); // heartbeatMs '250', checkTtl '2s', leaseMarginMs '250'
 * ```
 */
export function applyFleetProfile(raw: Record<string, unknown>): Record<string, unknown> {
  if (raw.fleetProfile !== 'fast') return raw;
  return { ...FAST_PROFILE, ...raw };
}

/** What the timing settings come to, all in milliseconds. */
export interface FleetTiming {
  heartbeatMs: number;
  ttlMs: number;
  leaseMarginMs: number;
  /** TTL − margin: how long a server acts after the send time of its last successful pass. */
  leaseMs: number;
  loadReportMs: number;
  /** Interval of the gateway's failover passes (one watch round). */
  failoverRoundMs: number;
  /** How long a server's heartbeat check is critical before its tanks are restored; 0 = never. */
  failoverGraceMs: number;
  /** How long a server is absent from discovery (never seen critical) before they are: + the lease. */
  failoverAbsentGraceMs: number;
}

export interface FleetTimingInput {
  heartbeatMs: number;
  checkTtl: string;
  leaseMarginMs?: number;
  loadReportMs?: number;
  failoverGraceMs?: number;
}

/**
 * The derived timing, or the reasons the settings are unsafe (each names its variables).
 *
 * @example
 * ```ts
 * const timing = fleetTimingOf({ heartbeatMs: 2000, checkTtl: '6s' });
 * if (Array.isArray(timing)) throw new ConfigError(timing.join('\n'));
 * timing.failoverGraceMs; // 2000: the 1 s margin and one 1 s round
 * ```
 */
export function fleetTimingOf(input: FleetTimingInput): FleetTiming | string[] {
  let ttlMs: number;
  try {
    ttlMs = parseGoDuration(input.checkTtl);
  } catch {
    return [`CHECK_TTL: not a duration: ${JSON.stringify(input.checkTtl)}`];
  }
  const { heartbeatMs } = input;
  const leaseMarginMs = input.leaseMarginMs ?? Math.round(ttlMs / 6);
  const leaseMs = ttlMs - leaseMarginMs;
  const failoverRoundMs = Math.min(5000, Math.max(100, leaseMarginMs));
  const minGraceMs = leaseMarginMs + failoverRoundMs;
  const failoverGraceMs = input.failoverGraceMs ?? minGraceMs;
  const problems: string[] = [];
  if (leaseMs <= 0)
    problems.push(
      `LEASE_MARGIN_MS (${leaseMarginMs}) must be less than CHECK_TTL (${ttlMs} ms): the lease is TTL − margin`,
    );
  else if (heartbeatMs >= leaseMs)
    problems.push(
      `HEARTBEAT_MS (${heartbeatMs}) must be shorter than the lease, CHECK_TTL − LEASE_MARGIN_MS (${leaseMs} ms): a server would fence itself between two passes`,
    );
  if (failoverGraceMs !== 0 && failoverGraceMs < minGraceMs)
    problems.push(
      `FAILOVER_GRACE_MS (${failoverGraceMs}) must be 0 (never) or at least LEASE_MARGIN_MS plus one failover round (${minGraceMs} ms): a live owner must have fenced itself before its tanks are restored`,
    );
  if (problems.length > 0) return problems;
  return {
    heartbeatMs,
    ttlMs,
    leaseMarginMs,
    leaseMs,
    loadReportMs: input.loadReportMs ?? Math.max(2000, heartbeatMs),
    failoverRoundMs,
    failoverGraceMs,
    failoverAbsentGraceMs: failoverGraceMs === 0 ? 0 : failoverGraceMs + leaseMs,
  };
}

/**
 * The fleet timing a server's or gateway's settings come to (lease, load reports, failover
 * grace); a `ConfigError` naming the variables when the combination is unsafe.
 *
 * @example
 * ```ts
 * const { leaseMs, loadReportMs } = fleetTiming(loadServerConfig([], process.env));
 * ```
 */
export function fleetTiming(input: FleetTimingInput): FleetTiming {
  const timing = fleetTimingOf(input);
  if (Array.isArray(timing)) throw new ConfigError(`unsafe timing settings:\n  ${timing.join('\n  ')}`);
  return timing;
}
