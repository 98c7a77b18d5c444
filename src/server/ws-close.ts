/**
 * @module
 * The close codes of viewer WebSockets: the standard ones used, and ours in the private range
 * (4000-4999), most of them an HTTP status plus 4000; and the message a fenced viewer gets before
 * its close.
 */
import type { ApiError } from '../http/index.ts';
import type { Tank } from '../tank/index.ts';

export const WsClose = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  internalError: 1011,
  /** The tank cannot be reached now (a relay that gave up following it): reconnect later. */
  tryAgainLater: 1013,
  malformed: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  unknownTank: 4404,
  tooSlow: 4408,
  /**
   * The tank moved to another server in a live move (a drain, an admin's move): the last
   * message before the close is `{type:'moved', websocket_url, …}`, where to reconnect.
   */
  moved: 4307,
  tankGone: 4410,
  /** Past a limit on open WebSockets (the HTTP 429's number, in the private range). */
  tooMany: 4429,
  /**
   * The server lost its lease (no successful TTL pass for longer than TTL − margin) and stopped
   * its tanks, which may come up on another server: look the tank up again at the gateway. A
   * `fenced` message naming the lookup comes just before it.
   */
  fenced: 4503,
} as const;

/**
 * A close reason within the 123 bytes a close frame may carry (RFC 6455 §5.5), cut at 120 bytes
 * on a character boundary: `ws` throws on a longer one, and the reasons name ids the client
 * chose, in any script.
 */
export function closeReason(text: string): string {
  let reason = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > 120) break;
    reason += char;
  }
  return reason;
}

/**
 * The message a viewer gets before close 4503: where to ask for its tank now, and the frame it
 * stopped at here (the tank resumes from a snapshot, here or elsewhere).
 */
export function fencedMessage(tank: Tank, err: ApiError): Record<string, unknown> {
  return {
    type: 'fenced',
    tank_id: tank.id,
    frame: tank.world.frame,
    lookup: `/api/tanks/${tank.id}/server`,
    retry_after_s: Number(err.headers['retry-after'] ?? 1),
    detail: err.message,
  };
}
