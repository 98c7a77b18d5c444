/**
 * @module
 * What a tank server is built from (`TankServerOptions`) and its version: read by `server.ts`,
 * which runs it, and by `parts.ts` and `app.ts`, which build its parts.
 */
import type { InternalVerifier, TokenVerifier } from '../auth/index.ts';
import type { Discovery } from '../discovery/index.ts';
import type { CrashPoint } from '../fault/index.ts';
import type { AccessLogLevel } from '../http/index.ts';
import type { Limits } from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { ResolveServer } from '../server-client/index.ts';
import type { Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';

export const SERVER_VERSION = '2.0.0';

export interface TankServerOptions {
  serverId: string;
  /** Interface and port to listen on (0 picks a free port). */
  listenHost?: string;
  port?: number;
  /** How others reach this server; derived from the listening address when absent. */
  advertiseAddress?: string;
  publicUrl?: string;
  wsUrl?: string;
  region?: string;
  zone?: string;
  db: Db;
  discovery: Discovery;
  realtime: Realtime;
  verifier: TokenVerifier;
  internalVerifier: InternalVerifier;
  /**
   * The internal secret, to sign the 2PC steps of tube moves to other servers' tanks
   * (`src/server/tubes`); without it tubes carry fish only between this server's tanks.
   */
  internalSecret?: string;
  /**
   * Where those steps go: in the mesh, `throughSidecar` (`src/gateway`), since a server's public
   * port refuses `/internal/*` there; by default each server's address from discovery.
   */
  resolveServer?: ResolveServer;
  /** How often the tubes of this server's tanks are read again (ms; events refresh them too). */
  tubeRefreshMs?: number;
  logger: Logger;
  /** Level of the one-line-per-request access log (`ACCESS_LOG_LEVEL`); `info` by default. */
  accessLogLevel?: AccessLogLevel;
  tickHz?: number;
  broadcastHz?: number;
  snapshotIntervalMs?: number;
  /** Interval of TTL passes. */
  heartbeatMs?: number;
  /**
   * How long after the send time of its last successful TTL pass this server may act on its
   * tanks (TTL − margin, `src/server/lease.ts`); 2.5 heartbeats when absent.
   */
  leaseMs?: number;
  /** Least interval of the load and tank stats writes; max(2 s, heartbeat) when absent. */
  loadReportMs?: number;
  /** `Retry-After` (seconds) of the refusals while fenced: about when the tanks run elsewhere. */
  fencedRetryAfterS?: number;
  maxTanks?: number;
  /**
   * Quotas and rate limits (requests, direct creates, open WebSockets, tanks per owner); none
   * when absent. Signed calls (`/internal/*`, and user routes a gateway forwards) are not
   * counted per client address, and `/internal/*` not per user.
   */
  limits?: Limits;
  /** Collect process-wide metrics (once per OS process). */
  processMetrics?: boolean;
  /**
   * Mesh mode: a second listener on 127.0.0.1 at this port, the one the local Envoy sidecar
   * forwards to. It serves every route; the public port then refuses `/internal/*` (404), so
   * the internal API and the 2PC participant steps are reachable only through the mesh (mTLS
   * and intentions) while clients keep REST and WebSockets on the public port.
   */
  meshPort?: number;
  /** Fault-injection points of the transfer steps (tests only; see src/fault). */
  crash?: CrashPoint;
  /** How often held transfer reservations are checked against the coordinator's log. */
  reservationSweepMs?: number;
}
