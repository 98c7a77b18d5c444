/**
 * @module
 * Answers to an upgrade before any WebSocket exists: a refusal (429, 503) as a problem, and the
 * check of the internal signature a gateway's relay puts on its upgrades (`relay.ts`), which
 * exempts them from the per-address count as `forwarded.ts` does for forwarded REST calls.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { InternalVerifier } from '../auth/index.ts';
import { problemHeaders, toProblem } from '../http/index.ts';
import type { Logger } from '../telemetry/index.ts';

/** Answers an upgrade refused for a limit with its 429 problem, before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  const problem = toProblem(err);
  const body = JSON.stringify(problem);
  const head = [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    'content-type: application/problem+json',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(problemHeaders(err)).map(([name, value]) => `${name}: ${value}`),
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

export interface SignedUpgrade {
  verifier: InternalVerifier;
  req: IncomingMessage;
  socket: Duplex;
  logger: Logger;
}

/**
 * True when the upgrade carries a valid, first-seen signature over `GET <path and query>` with
 * an empty body; false when it is forged, replayed or stale (then it counts as a client's);
 * undefined when the socket went away meanwhile (it is dropped: nothing was counted for it).
 */
export async function signedByGateway({
  verifier,
  req,
  socket,
  logger,
}: SignedUpgrade): Promise<boolean | undefined> {
  // Node's HTTP server let go of the socket at the upgrade: an error while we wait (a reset)
  // needs a listener of ours or it ends the process; `ws` adds its own once it has the socket.
  const onError = (err: Error) => logger.debug({ err }, 'viewer socket error before the upgrade');
  socket.on('error', onError);
  const signed = await verifier
    .verify({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers })
    .then(
      () => true,
      () => false,
    );
  socket.off('error', onError);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  return signed;
}
