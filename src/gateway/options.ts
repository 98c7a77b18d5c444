/**
 * @module
 * What a gateway is built from (`GatewayOptions`) and its version: read by `gateway.ts`, which
 * runs it, and by `parts.ts`, which builds its parts.
 */
import type { TokenMinter, TokenVerifier } from '../auth/index.ts';
import type { Discovery } from '../discovery/index.ts';
import type { CrashPoint } from '../fault/index.ts';
import type { AccessLogLevel } from '../http/index.ts';
import type { Limits } from '../limits/index.ts';
import type { Realtime } from '../realtime/index.ts';
import type { ResolveServer } from '../server-client/index.ts';
import type { Db } from '../store/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { PlacementStrategy } from './placement.ts';
import type { WsRelayOptions } from './relay/index.ts';

/** The gateway's version, reported by `/health` and its registration. */
export const GATEWAY_VERSION = '2.0.0';

export interface GatewayOptions {
  gatewayId: string;
  /** Interface and port to listen on (0 picks a free port). */
  listenHost?: string;
  port: number;
  /** How others reach this gateway; derived from the listening address when absent. */
  advertiseAddress?: string;
  publicUrl?: string;
  region?: string;
  zone?: string;
  db: Db;
  discovery: Discovery;
  realtime: Realtime;
  verifier: TokenVerifier;
  /**
   * Mints the web viewer's short-lived WebSocket tokens (`GET /api/session/ws-token`); absent
   * when user tokens come from an identity provider, and the session's own token is given.
   */
  tokenMinter?: TokenMinter;
  /** The shared secret internal calls to tank servers are signed with. */
  internalSecret: string;
  logger: Logger;
  /** Level of the one-line-per-request access log (`ACCESS_LOG_LEVEL`); `info` by default. */
  accessLogLevel?: AccessLogLevel;
  /**
   * How a server is reached: straight at its registered address by default; through the local
   * Envoy upstream (with the per-server routing header) in the mesh.
   */
  resolveServer?: ResolveServer;
  placement?: PlacementStrategy;
  /** Deadline of a proxied call to a tank's server (504 `upstream_timeout` past it). */
  proxyTimeoutMs?: number;
  /** Deadline of the internal calls to servers (create, adopt, transfer steps); 5 s by default. */
  internalTimeoutMs?: number;
  /** Folder of the built web app (`web/dist`); not served when absent. */
  webRoot?: string;
  /**
   * Milliseconds a server's heartbeat check stays critical before its tanks are moved; 0 turns
   * failover off. At least the lease margin plus one round (`fleetTiming`, docs/failover.md).
   */
  failoverGraceMs?: number;
  /** Interval of failover passes (one watch round). */
  failoverRoundMs?: number;
  /** How long a server absent from discovery (never seen critical) waits; see `createFailover`. */
  failoverAbsentGraceMs?: number;
  heartbeatMs?: number;
  /** Fault-injection points of the transfer coordinator (tests only). */
  crash?: CrashPoint;
  /** Period of the transfer recovery pass (5 s by default); idle transfers are taken after two. */
  transferRecoveryMs?: number;
  /** Node process metrics on `/metrics` (off when several parts share one process). */
  processMetrics?: boolean;
  /** Quotas and rate limits (requests, creates, transfers, event streams, tanks per owner); none when absent. */
  limits?: Limits;
  /** Tuning of the WebSocket relay (`/ws/<tank_id>`): watermarks, stall and follow bounds. */
  relay?: Pick<
    WsRelayOptions,
    'highWaterBytes' | 'lowWaterBytes' | 'stallMs' | 'followMs' | 'maxPayload' | 'heartbeatMs'
  >;
}
