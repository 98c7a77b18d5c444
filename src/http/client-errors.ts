/**
 * @module
 * Answers requests Node's HTTP parser refuses before any app sees them (a request line or
 * headers past the 16 KiB limit, bytes that are not HTTP, a request too slow to arrive) as
 * `application/problem+json`, like every other answer. Node's own answer to these is a bare
 * status line with no body, which a client cannot tell from a broken proxy.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemType } from './problem.ts';

/** Node's parser error codes → status and problem code; anything else is a 400. */
const BY_ERROR: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'Content Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'Request Timeout'],
};

const DETAIL: Record<string, string> = {
  headers_too_large: 'the request line and headers are limited to 16 KiB',
  payload_too_large: 'chunk extensions are too large',
  request_timeout: 'the request did not arrive in time',
  malformed_request: 'the request is not valid HTTP/1.1',
};

/**
 * Installs the `clientError` listener on `server` (which replaces Node's default answer) and
 * returns the server.
 *
 * @example
 * ```ts
 * const http = answerClientErrors(createServer(getRequestListener(app.fetch)));
 * ```
 */
export function answerClientErrors<S extends Server>(server: S): S {
  server.on('clientError', function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
    // A peer that went away, or an answer already under way: nothing to say on this socket.
    const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const [status, code, title] = BY_ERROR[err.code ?? ''] ?? [400, 'malformed_request', 'Bad Request'];
    const body = JSON.stringify({ type: problemType(code), title, status, detail: DETAIL[code], code });
    socket.end(
      [
        `HTTP/1.1 ${status} ${title}`,
        'content-type: application/problem+json',
        `content-length: ${Buffer.byteLength(body)}`,
        "content-security-policy: default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options: nosniff',
        'x-frame-options: DENY',
        'referrer-policy: no-referrer',
        'connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
  return server;
}
