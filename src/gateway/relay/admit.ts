/**
 * @module
 * Who may open a relayed WebSocket (`/ws/<tank_id>` on the gateway): the same rules as a tank
 * server's own endpoint (a token in `Authorization` or `?token=`, a tank the caller may read,
 * else 4401 / 4404 word for word), plus the web app's session cookie when the upgrade comes from
 * the gateway's own pages (an `Origin` naming another site gets no cookie: cross-site WebSocket
 * hijacking), and the gateway's per-user and per-address connection limits.
 */
import type { IncomingMessage } from 'node:http';
import { parse } from 'hono/utils/cookie';
import {
  type AuthUser,
  GUEST,
  MissingTokenError,
  SESSION_COOKIE,
  type TokenVerifier,
  tokenFromRequest,
} from '../../auth/index.ts';
import { closeReason, WsClose } from '../../server/index.ts';
import type { TankRecord } from '../views.ts';

/** The tank id of `/ws/<id>`; a path that does not decode names no tank. */
export function pathTankId(pathname: string): string {
  try {
    return decodeURIComponent(pathname.slice('/ws/'.length));
  } catch {
    return '';
  }
}

/** A refusal: the close code and reason the client gets. */
export interface Refusal {
  code: number;
  reason: string;
}

export type Admission =
  | { ok: true; user: AuthUser; token: string | undefined; record: TankRecord; tankId: string; json: boolean }
  | { ok: false; refusal: Refusal };

/** The session cookie's token when the upgrade comes from this gateway's own origin. */
function cookieToken(req: IncomingMessage): string | undefined {
  const cookie = req.headers.cookie;
  if (!cookie) return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return undefined;
    }
    if (host !== req.headers.host) return undefined;
  }
  return parse(cookie, SESSION_COOKIE)[SESSION_COOKIE] || undefined;
}

export interface RelayAdmissionOptions {
  verifier: TokenVerifier;
  findTank: (tankId: string) => Promise<TankRecord | undefined>;
  /** True when the user may read the tank. */
  canRead: (user: AuthUser, record: TankRecord) => Promise<boolean>;
  /** An upgrade with no credential at all watches as `GUEST` (public tanks only). */
  guests: boolean;
}

/**
 * @example
 * ```ts
 * const admit = relayAdmission({ verifier, findTank: (id) => cache.get(id), canRead });
 * const admission = await admit(req);
 * if (!admission.ok) ws.close(admission.refusal.code, admission.refusal.reason);
 * ```
 */
export function relayAdmission({ verifier, findTank, canRead, guests }: RelayAdmissionOptions) {
  return async function admit(req: IncomingMessage): Promise<Admission> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const tankId = pathTankId(url.pathname);
    let user: AuthUser;
    let token: string | undefined;
    try {
      token = tokenFromRequest(url, req.headers as Record<string, string>) ?? cookieToken(req);
      const bare = !token && req.headers.authorization === undefined && !url.searchParams.has('token');
      if (bare && guests) user = GUEST;
      else if (!token) throw new MissingTokenError('a token is required (?token=…)');
      else user = await verifier.verify(token);
    } catch (err) {
      return {
        ok: false,
        refusal: {
          code: WsClose.unauthorized,
          reason: closeReason((err as Error).message || 'unauthorized'),
        },
      };
    }
    // Word for word the close of a tank server: a private tank's existence is not told.
    const notFound: Admission = {
      ok: false,
      refusal: { code: WsClose.unknownTank, reason: closeReason(`tank not found: ${tankId}`) },
    };
    const record = tankId === '' ? undefined : await findTank(tankId);
    if (!record) return notFound;
    if (!(await canRead(user, record))) return notFound;
    return { ok: true, user, token, record, tankId, json: url.searchParams.get('format') === 'json' };
  };
}
