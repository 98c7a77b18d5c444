/**
 * @module
 * Admitting a viewer's WebSocket (see `ws.ts`): its token, the tank, the caller's level on it
 * and the connection limits are checked before it is attached; what the client sends meanwhile
 * is kept, up to a bound, and handled once it is admitted.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import {
  type AuthUser,
  MissingTokenError,
  type PermissionLevel,
  type TokenVerifier,
  tokenFromRequest,
} from '../auth/index.ts';
import type { ConnectionLimit } from '../limits/index.ts';
import type { Tank } from '../tank/index.ts';
import { closeReason, WsClose } from './ws-close.ts';

/** The tank id of `/ws/<id>`; a path that does not decode names no tank (the caller closes 4404). */
function pathTankId(pathname: string): string {
  try {
    return decodeURIComponent(pathname.slice('/ws/'.length));
  } catch {
    return '';
  }
}

/** What admission checks with, and `attach`, which takes an admitted viewer on. */
export interface AdmissionOptions {
  verifier: TokenVerifier;
  findTank: (tankId: string) => Promise<Tank | undefined>;
  levelOf: (user: AuthUser, tank: Tank) => Promise<PermissionLevel | undefined>;
  connections: ConnectionLimit;
  /** Bytes of messages kept while a viewer is being admitted; a socket that sends more is closed (1008). */
  maxEarlyBytes: number;
  attach: (
    ws: WebSocket,
    tank: Tank,
    user: AuthUser,
    level: PermissionLevel,
    json: boolean,
    early: Array<[WebSocket.RawData, boolean]>,
  ) => void;
}

/**
 * @example
 * ```ts
 * const admit = createAdmission({ verifier, findTank, levelOf, connections, maxEarlyBytes, attach });
 * wss.handleUpgrade(req, socket, head, (ws) => void admit(req, ws));
 * ```
 */
export function createAdmission({
  verifier,
  findTank,
  levelOf,
  connections,
  maxEarlyBytes,
  attach,
}: AdmissionOptions): (req: IncomingMessage, ws: WebSocket) => Promise<void> {
  /** Checks token, tank and level, then attaches the viewer, or closes with the reason it may not. */
  async function admitOrRefuse(
    req: IncomingMessage,
    ws: WebSocket,
    early: Array<[WebSocket.RawData, boolean]>,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const tankId = pathTankId(url.pathname);
    let user: AuthUser;
    try {
      const token = tokenFromRequest(url, req.headers as Record<string, string>);
      if (!token) throw new MissingTokenError('a token is required (?token=…)');
      user = await verifier.verify(token);
    } catch (err) {
      ws.close(WsClose.unauthorized, closeReason((err as Error).message || 'unauthorized'));
      return;
    }
    const tank = await findTank(tankId);
    if (!tank) {
      ws.close(WsClose.unknownTank, closeReason(`tank not found: ${tankId}`));
      return;
    }
    const level = await levelOf(user, tank);
    if (!level) {
      // Word for word the close of a missing tank: a private tank's existence is not told.
      ws.close(WsClose.unknownTank, closeReason(`tank not found: ${tankId}`));
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    // Taken only now, with the socket open: its 'close' is still to come and gives it back.
    try {
      ws.once('close', connections.open({ user: user.userId }));
    } catch (err) {
      ws.close(WsClose.tooMany, closeReason(`too many connections: ${(err as Error).message}`));
      return;
    }
    attach(ws, tank, user, level, url.searchParams.get('format') === 'json', early);
  }

  return async function admit(req: IncomingMessage, ws: WebSocket): Promise<void> {
    // Messages a client sends right after opening arrive while the token is being checked:
    // keep them and handle them once the viewer is admitted, but only so many: the client
    // is not known yet, and one that is refused may go on sending.
    const early: Array<[WebSocket.RawData, boolean]> = [];
    let earlyBytes = 0;
    const collect = (data: WebSocket.RawData, isBinary: boolean) => {
      earlyBytes += Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
      if (earlyBytes <= maxEarlyBytes) {
        early.push([data, isBinary]);
        return;
      }
      ws.off('message', collect);
      early.length = 0;
      ws.close(WsClose.policyViolation, 'too much sent before being admitted');
    };
    ws.on('message', collect);
    try {
      await admitOrRefuse(req, ws, early);
    } finally {
      ws.off('message', collect);
    }
  };
}
