/**
 * @module
 * The messages between `bench fleet` and its heartbeat driver (`fleet-driver-child.ts`), a
 * child process that plays the simulated tank servers, declared once for both sides.
 */

/** What the bench asks of the driver; `seq` pairs each command with its reply. */
export type DriverCommand =
  /** Registers servers `sim-<i>` up to `to` (exclusive), spread round-robin over `agents`. */
  | { seq: number; op: 'grow'; to: number; agents: string[]; ttl: string }
  /** Every server passes its TTL every `ms` from now on. */
  | { seq: number; op: 'rate'; ms: number }
  /** These servers stop heartbeating; the reply has each one's last pass. */
  | { seq: number; op: 'silence'; ids: string[] }
  /** These servers heartbeat again; the reply has each one's first pass back. */
  | { seq: number; op: 'resume'; ids: string[] }
  /** Counters since the last `stats`. */
  | { seq: number; op: 'stats' }
  /** Deregisters every server (a new TTL needs new registrations). */
  | { seq: number; op: 'reset' };

/** Epoch milliseconds (`performance.timeOrigin + performance.now()`), comparable across processes. */
export type EpochMs = number;

export interface DriverStats {
  passes: number;
  failed: number;
  /** Why passes failed, digits folded, with counts. */
  reasons: Record<string, number>;
  /** The driver's own CPU time, ms. */
  cpuMs: number;
  /** Pass round trips (queue included), ms. */
  passP50Ms: number;
  passP99Ms: number;
}

export type DriverResult =
  | { op: 'grow'; registered: number }
  | { op: 'rate' }
  /** When each server's last pass was sent: its check turns critical one TTL later. */
  | { op: 'silence'; lastSentAt: Record<string, EpochMs> }
  /** When each server's first pass back was sent: the agent has it passing soon after. */
  | { op: 'resume'; sentAt: Record<string, EpochMs> }
  | { op: 'stats'; stats: DriverStats }
  | { op: 'reset' };

export type DriverReply =
  | { seq: number; ok: true; result: DriverResult }
  | { seq: number; ok: false; error: string };

/** Now, as both processes count it. */
export const epochNow = (): EpochMs => performance.timeOrigin + performance.now();
