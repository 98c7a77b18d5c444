/**
 * @module
 * The server's lease on its tanks: the time of its last successful TTL pass, on one monotonic
 * clock, plus `leaseMs` (= TTL − margin). Past it without another success the server is fenced:
 * it must not tick, take commands or write, because the gateway may be about to restore its
 * tanks elsewhere. The clock is read when a pass is SENT, so the lease never outlives Consul's
 * own TTL timer, which the agent resets only on receipt (later). `held()` reads the clock on
 * every call, so a process resumed from SIGSTOP or a long GC pause fences itself on its very
 * first action, before any timer of its own has run. See docs/failover.md.
 */

/** `held` (may act), `fenced` (ran out; waits for a pass and a recovery), `starting` (none yet). */
export type LeaseState = 'starting' | 'held' | 'fenced';

export interface LeaseOptions {
  /** How long a successful pass keeps the lease: the TTL less the margin. */
  leaseMs: number;
  /** Monotonic milliseconds (`performance.now`); tests pass a manual clock. */
  now?: () => number;
  /** Runs `fn` after `ms` and answers the canceller; the expiry timer (tests pass a manual one). */
  schedule?: (fn: () => void, ms: number) => () => void;
  /** Called once at each change of state (`held` → `fenced`, `fenced`/`starting` → `held`). */
  onChange?: (state: LeaseState, info: { sinceRenewalMs: number }) => void;
}

export interface Lease {
  /** The time a TTL pass is being sent now; hand it to `renewed` once that pass succeeded. */
  sending(): number;
  /**
   * A pass sent at `sentAt` succeeded: the lease runs until `sentAt + leaseMs`. A server that is
   * not `held` stays so until `resume()` (its recovery re-reads its tanks first).
   */
  renewed(sentAt: number): void;
  /** True while held and not yet run out; running out fences on the spot (synchronously). */
  held(): boolean;
  /** The state now (reading the clock first, as `held` does). */
  state(): LeaseState;
  /** True when a pass succeeded recently enough for `resume` to take the lease back. */
  renewable(): boolean;
  /** Takes the lease back after a recovery; false (still fenced) when it has run out meanwhile. */
  resume(): boolean;
  /** Milliseconds the lease has left (0 when not held). */
  remainingMs(): number;
  /** Stops the expiry timer. */
  close(): void;
}

function systemSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * @example
 * ```ts
 * const lease = createLease({ leaseMs: 5000, onChange: (state) => log.warn({ state }, 'lease') });
 * const sentAt = lease.sending();
 * await discovery.passTtl(load);
 * lease.renewed(sentAt);
 * if (!lease.held()) return; // fenced: do nothing that acts on the tanks
 * ```
 */
export function createLease({
  leaseMs,
  now = () => performance.now(),
  schedule = systemSchedule,
  onChange = () => {},
}: LeaseOptions): Lease {
  if (!(leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
  let state: LeaseState = 'starting';
  /** The send time of the newest successful pass; -Infinity before the first. */
  let renewedAt = Number.NEGATIVE_INFINITY;
  let cancelExpiry = () => {};

  const deadline = () => renewedAt + leaseMs;

  function set(next: LeaseState): void {
    if (next === state) return;
    state = next;
    onChange(next, { sinceRenewalMs: Math.round(now() - renewedAt) });
  }

  /** The one place a held lease turns fenced: on any read past the deadline, or its timer. */
  function expireIfDue(): void {
    if (state === 'held' && now() >= deadline()) {
      cancelExpiry();
      set('fenced');
    }
  }

  function arm(): void {
    cancelExpiry();
    // A timer as well as the reads: an idle server (no tank ticking, no request) still fences
    // on time and tells its viewers. Timers fire late under load, never early; the reads cover that.
    cancelExpiry = schedule(expireIfDue, Math.max(0, deadline() - now()));
  }

  return {
    sending: () => now(),
    renewed(sentAt) {
      // A lease that ran out is fenced before any renewal counts, even if nothing has read it
      // since (a pass answered right after a SIGCONT): the tanks must be re-read first.
      expireIfDue();
      // Passes can finish out of order; an older send time never shortens the lease.
      if (sentAt <= renewedAt) return;
      renewedAt = sentAt;
      if (state === 'held') arm();
    },
    held() {
      expireIfDue();
      return state === 'held';
    },
    state() {
      expireIfDue();
      return state;
    },
    renewable: () => now() < deadline(),
    resume() {
      expireIfDue();
      if (state === 'held') return true;
      if (now() >= deadline()) return false;
      set('held');
      arm();
      return true;
    },
    remainingMs() {
      expireIfDue();
      return state === 'held' ? Math.max(0, deadline() - now()) : 0;
    },
    close() {
      cancelExpiry();
    },
  };
}
