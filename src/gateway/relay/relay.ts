/**
 * @module
 * The gateway's WebSocket relay ("option B" of the seed): `/ws/<tank_id>` on the gateway, for
 * clients that cannot reach the tank servers. Admission is `admit.ts`, one relayed viewer
 * `link.ts`; here the upgrade, the connection limits, the upstream's address and credentials,
 * and the heartbeat. The upstream is reached as every other gateway → server call is
 * (`ResolveServer`: straight, or through the local Envoy with the routing header in the mesh),
 * and carries a token minted for the user for each connection (a minute long, like the web
 * viewer's), or the client's own when the gateway can sign none: the client's token never goes
 * into an upstream URL, and a follow after an hour does not fail on an expired one. The upgrade
 * carries the gateway's internal signature too: the server counts it per user, not per address.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import {
  type AuthUser,
  isGuest,
  signRequest,
  type TokenMinter,
  type TokenVerifier,
} from '../../auth/index.ts';
import { peerAddress } from '../../limits/index.ts';
import { closeReason, refuseUpgrade, WsClose } from '../../server/index.ts';
import type { ResolveServer } from '../../server-client/index.ts';
import type { GatewayContext } from '../context.ts';
import type { TankRecord } from '../views.ts';
import { relayAdmission } from './admit.ts';
import { relayLink, type UpstreamTarget } from './link.ts';

export interface WsRelayOptions {
  ctx: Pick<GatewayContext, 'cache' | 'access' | 'directory' | 'limits' | 'logger'>;
  verifier: TokenVerifier;
  /** Mints the upstream's token; without one the client's own token is passed on (in a header). */
  tokenMinter?: TokenMinter;
  resolveServer: ResolveServer;
  /**
   * The internal secret (as `serverClient`'s): each upstream upgrade is signed with it, so a
   * server counts relayed viewers per user, not against the gateway's one address. Without it
   * the upgrades are a client's (at most `WS_MAX_PER_ADDRESS` relayed viewers per server).
   */
  internalSecret?: string;
  /** Bytes queued for a client before its upstream is paused, and below which it is read again. */
  highWaterBytes?: number;
  lowWaterBytes?: number;
  /** A client backed up this long is closed 4408. */
  stallMs?: number;
  /** How long the relay follows a tank whose server went away before closing 1013. */
  followMs?: number;
  /** Largest message a client may send (as a tank server allows). */
  maxPayload?: number;
  maxQueuedBytes?: number;
  heartbeatMs?: number;
}

/** The token minted for one upstream connection lives this long: it is checked only at the upgrade. */
const UPSTREAM_TOKEN_SECONDS = 60;

/**
 * @example
 * ```ts
 * const relay = createWsRelay({ ctx, verifier, tokenMinter, resolveServer });
 * http.on('upgrade', (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
 * ```
 */
export function createWsRelay({
  ctx,
  verifier,
  tokenMinter,
  resolveServer,
  internalSecret,
  highWaterBytes = 256 * 1024,
  lowWaterBytes = 64 * 1024,
  stallMs = 5000,
  followMs = 30_000,
  maxPayload = 16 * 1024,
  maxQueuedBytes = 64 * 1024,
  heartbeatMs = 30_000,
}: WsRelayOptions) {
  const { cache, access, directory, limits, logger } = ctx;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload });
  const alive = new Map<WebSocket, boolean>();

  async function canRead(user: AuthUser, record: TankRecord): Promise<boolean> {
    try {
      await access.require(user, record, 'read');
      return true;
    } catch {
      return false;
    }
  }
  // Guests need an upstream token minted for them: without a minter (JWKS_URL), none are let in.
  const admit = relayAdmission({
    verifier,
    findTank: (id) => cache.get(id),
    canRead,
    guests: tokenMinter !== undefined,
  });

  async function target(
    record: TankRecord,
    user: AuthUser,
    token: string | undefined,
    json: boolean,
  ): Promise<UpstreamTarget | undefined> {
    const serverId = record.serverId;
    if (serverId === null || !directory.isAvailable(serverId)) return undefined;
    const server = resolveServer(serverId);
    if (!server) return undefined;
    const url = new URL(`/ws/${encodeURIComponent(record.tankId)}`, server.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (json) url.searchParams.set('format', 'json');
    // A guest watches upstream as a user of its own, who owns nothing and holds no grant, so the
    // server too lets it read public tanks only (and counts no two guests as one user).
    const userId = isGuest(user) ? `guest:${randomUUID()}` : user.userId;
    const upstreamToken = tokenMinter
      ? await tokenMinter.mint({ userId, scopes: user.scopes, ttlSeconds: UPSTREAM_TOKEN_SECONDS })
      : token!;
    // Signed afresh for each upstream (a follow opens another): a nonce is good for one upgrade.
    const signature = internalSecret
      ? signRequest({ secret: internalSecret, method: 'GET', path: url.pathname + url.search })
      : {};
    return {
      url: url.href,
      headers: { ...server.headers, ...signature, authorization: `Bearer ${upstreamToken}` },
    };
  }

  async function start(req: IncomingMessage, client: WebSocket): Promise<void> {
    const admission = await admit(req);
    if (!admission.ok) return client.close(admission.refusal.code, admission.refusal.reason);
    if (client.readyState !== WebSocket.OPEN) return;
    const { user, record, tankId, json, token } = admission;
    try {
      // Guests are counted by their address alone (before the upgrade).
      if (!isGuest(user)) client.once('close', limits.ws.open({ user: user.userId }));
    } catch (err) {
      return client.close(WsClose.tooMany, closeReason(`too many connections: ${(err as Error).message}`));
    }
    let last = record;
    relayLink({
      client,
      tankId,
      record,
      logger,
      highWaterBytes,
      lowWaterBytes,
      stallMs,
      followMs,
      maxQueuedBytes,
      maxUpstreamPayload: 64 * 1024 * 1024,
      target: (r) => target(r, user, token, json),
      async relookup() {
        // Dropped only if it still holds the record that failed: many viewers of one tank
        // following together then share one query.
        if ((await cache.get(tankId)) === last) cache.invalidate(tankId);
        const fresh = await cache.get(tankId);
        if (!fresh || !(await canRead(user, fresh))) return undefined;
        last = fresh;
        return fresh;
      },
    });
  }

  const heartbeat = setInterval(() => {
    for (const [ws, answered] of alive) {
      if (!answered) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  return {
    /** True when this upgrade is ours (path `/ws/…`); the caller destroys other upgrades. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      if (!req.url?.startsWith('/ws/')) return false;
      let release: () => void;
      try {
        release = limits.ws.open({ address: peerAddress(req) });
      } catch (err) {
        refuseUpgrade(socket, err);
        return true;
      }
      socket.once('close', release);
      wss.handleUpgrade(req, socket, head, (client) => {
        // First: a frame `ws` refuses (over maxPayload, bad UTF-8) closes this socket alone.
        client.on('error', (err) => logger.debug({ err }, 'relay client socket error'));
        alive.set(client, true);
        client.on('pong', () => alive.set(client, true));
        client.on('close', () => alive.delete(client));
        start(req, client).catch((err) => {
          logger.error({ err }, 'relay admission failed');
          client.close(WsClose.internalError, 'internal error');
        });
      });
      return true;
    },
    get count(): number {
      return alive.size;
    },
    async close(): Promise<void> {
      clearInterval(heartbeat);
      for (const ws of alive.keys()) ws.close(WsClose.goingAway, 'gateway shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type WsRelay = ReturnType<typeof createWsRelay>;
