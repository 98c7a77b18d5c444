/**
 * @module
 * One relayed viewer: the client's socket on the gateway and a socket to the tank's server,
 * with every message passed on unchanged (same bytes, same text/binary flag) both ways. A slow
 * side pauses the other: past `highWaterBytes` queued for the client, the upstream socket is no
 * longer read, so the tank server sees its own socket back up and skips frames for this viewer
 * (resyncing with a keyframe), exactly as for a direct viewer; a client stalled longer than
 * `stallMs` is closed 4408. The upstream going away is followed, not passed on: on a `moved` or
 * `fenced` message (swallowed: it names a server the client does not need to reach), or a close
 * 4307 / 4503 / 4410 / 1001 / 1006, the tank is looked up again and a new upstream opened; the
 * client sees a new `hello` and a keyframe, and keeps its socket. Any other upstream close is
 * passed on with its code.
 */
import WebSocket from 'ws';
import { closeReason, WsClose } from '../../server/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { TankRecord } from '../views.ts';

/**
 * Upstream closes that mean "the tank is elsewhere now, or soon": look it up again. 4307 is a
 * live move's close and 4503 a fenced server's (their `WsClose` names come with those features).
 */
const FOLLOWED = new Set<number>([WsClose.goingAway, 1006, 4307, WsClose.tankGone, 4503]);
/** A server's last word before a 4307 or 4503: JSON text starting so (see `hand-off.ts`, `fencing.ts`). */
const REDIRECTS = [Buffer.from('{"type":"moved"'), Buffer.from('{"type":"fenced"')];

/** Codes a close frame may carry (RFC 6455 §7.4): 1005, 1006 and 1015 are never sent. */
function sendable(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

function isRedirect(data: Buffer): boolean {
  return REDIRECTS.some(
    (prefix) => data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix),
  );
}

function asBuffer(data: WebSocket.RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Where and how to open the upstream socket for a tank on a server. */
export interface UpstreamTarget {
  url: string;
  headers: Record<string, string>;
}

export interface LinkOptions {
  client: WebSocket;
  tankId: string;
  /** The first record, as admitted. */
  record: TankRecord;
  /** The tank read fresh (cache dropped first); undefined when it is gone or no longer readable. */
  relookup: () => Promise<TankRecord | undefined>;
  /** The upstream for a record, undefined while its server is unavailable. */
  target: (record: TankRecord) => Promise<UpstreamTarget | undefined>;
  logger: Logger;
  highWaterBytes: number;
  lowWaterBytes: number;
  /** Bytes the client may send while no upstream is open (before the first, while following). */
  maxQueuedBytes: number;
  stallMs: number;
  /** How long a failover or move is followed before the client is closed 1013. */
  followMs: number;
  maxUpstreamPayload: number;
  onUpstreamOpen?: (serverId: string) => void;
}

/**
 * @example
 * ```ts
 * relayLink({ client: ws, tankId, record, relookup, target, logger, highWaterBytes: 256 * 1024, … });
 * ```
 */
export function relayLink(options: LinkOptions): void {
  const { client, tankId, logger } = options;
  let upstream: WebSocket | undefined;
  let ended = false;
  let following = false;
  let stall: NodeJS.Timeout | undefined;
  const queued: Array<[Buffer, boolean]> = [];
  let queuedBytes = 0;

  function end(code: number, reason: string): void {
    if (ended) return;
    ended = true;
    clearTimeout(stall);
    if (upstream) {
      upstream.removeAllListeners('close');
      upstream.removeAllListeners('message');
      // A paused upstream would never read the server's answer to a close: it is dropped instead.
      if (upstream.readyState === WebSocket.OPEN && !upstream.isPaused) upstream.close(1000, 'viewer left');
      else upstream.terminate();
    }
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) {
      // A client paused by a follow would never read the viewer's answer to this close, and the
      // viewer would learn of it only at ws's 30 s close timeout (test/gateway/relay-signed.test.ts).
      if (client.isPaused) client.resume();
      client.close(code, reason);
    }
  }

  function toClient(data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = asBuffer(data);
    // The server's redirect is the relay's business: the close that follows is followed.
    if (!isBinary && isRedirect(bytes)) {
      following = true;
      return;
    }
    if (client.readyState !== WebSocket.OPEN) return;
    client.send(bytes, { binary: isBinary }, drained);
    if (client.bufferedAmount > options.highWaterBytes && upstream && !upstream.isPaused) {
      upstream.pause();
      // One timer per stall: a stall that outlived its upstream (a follow) is timed from its start.
      if (stall === undefined)
        stall = setTimeout(
          () => end(WsClose.tooSlow, 'too slow: the relay stayed backed up'),
          options.stallMs,
        );
    }
  }

  /** After each write to the client: read the upstream again once the client caught up. */
  function drained(): void {
    if (client.bufferedAmount > options.lowWaterBytes) return;
    clearTimeout(stall);
    stall = undefined;
    if (upstream?.isPaused) upstream.resume();
  }

  function toUpstream(data: WebSocket.RawData, isBinary: boolean): void {
    // Closing: nothing more goes anywhere, and pausing again would stall the close handshake.
    if (ended) return;
    const bytes = asBuffer(data);
    if (upstream?.readyState !== WebSocket.OPEN || following) {
      queuedBytes += bytes.length;
      if (queuedBytes > options.maxQueuedBytes) {
        end(WsClose.policyViolation, 'too much sent while the tank was not reachable');
        return;
      }
      queued.push([bytes, isBinary]);
      client.pause();
      return;
    }
    upstream.send(bytes, { binary: isBinary }, () => {
      if (client.isPaused && upstream?.bufferedAmount === 0 && !following) client.resume();
    });
    if (upstream.bufferedAmount > options.highWaterBytes) client.pause();
  }

  function onUpstreamClose(code: number, reason: Buffer): void {
    if (ended) return;
    if (following || FOLLOWED.has(code)) {
      void follow(code);
      return;
    }
    end(sendable(code) ? code : WsClose.internalError, closeReason(reason.toString('utf8')));
  }

  /** Opens an upstream; resolves true once open, false when it could not be. */
  function open(target: UpstreamTarget, serverId: string): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = new WebSocket(target.url, {
        headers: target.headers,
        perMessageDeflate: false,
        maxPayload: options.maxUpstreamPayload,
      });
      upstream = ws;
      let opened = false;
      ws.on('error', (err) =>
        logger.debug({ err, tank_id: tankId, server_id: serverId }, 'relay upstream error'),
      );
      ws.once('close', (code, reason) => {
        // A close before open (refused connection, failed handshake) is one failed attempt.
        if (opened) onUpstreamClose(code, reason);
        else resolve(false);
      });
      ws.once('open', () => {
        opened = true;
        if (ended) return ws.close(1000, 'viewer left');
        following = false;
        ws.on('message', toClient);
        options.onUpstreamOpen?.(serverId);
        for (const [bytes, isBinary] of queued.splice(0)) ws.send(bytes, { binary: isBinary });
        queuedBytes = 0;
        if (client.isPaused) client.resume();
        resolve(true);
      });
    });
  }

  async function follow(code: number): Promise<void> {
    following = true;
    client.pause();
    const deadline = Date.now() + options.followMs;
    let wait = 50;
    logger.debug({ tank_id: tankId, code }, 'relay following the tank');
    while (!ended && Date.now() < deadline) {
      const record = await options.relookup();
      if (ended) return;
      if (!record) return end(WsClose.unknownTank, closeReason(`tank not found: ${tankId}`));
      const target = await options.target(record);
      if (target && (await open(target, record.serverId!))) return;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 2);
    }
    end(WsClose.tryAgainLater, 'the tank is unavailable: try again later');
  }

  client.on('message', toUpstream);
  client.on('close', () => end(1000, 'closed'));
  client.pause();
  void (async () => {
    const target = await options.target(options.record);
    if (target && (await open(target, options.record.serverId!))) return;
    await follow(1006);
  })().catch((err) => {
    logger.error({ err, tank_id: tankId }, 'relay failed');
    end(WsClose.internalError, 'internal error');
  });
}
