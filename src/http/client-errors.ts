/**
 * @module
 * Answers requests Node's HTTP parser refuses before any app sees them (a request line or
 * headers past the 16 KiB limit, bytes that are not HTTP, a request too slow to arrive) as
 * `application/problem+json`, like every other answer. Node's own answer to these is a bare
 * status line with no body, which a client cannot tell from a broken proxy. A NUL (or another
 * control character) in a header value is one of them: it never reaches the app's schema check,
 * so the 400 here names the header, as the app names a bad value anywhere else.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, type Problem, type ProblemCode, toProblem } from './problem.ts';

/** Node's parser error codes → the problem each is; anything else is a malformed request. */
const BY_ERROR: Record<string, [ProblemCode, string]> = {
  HPE_HEADER_OVERFLOW: ['headers_too_large', 'the request line and headers are limited to 16 KiB'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: ['payload_too_large', 'chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: ['request_timeout', 'the request did not arrive in time'],
};

/** The name of the first header line holding a control character (tab aside), if any. */
export function headerWithControlChar(raw: Buffer | undefined): string | undefined {
  if (!raw) return undefined;
  const lines = raw.toString('latin1').split('\r\n');
  // Line 0 is the request line; the headers end at the first empty line.
  for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i]!;
    for (let j = 0; j < line.length; j++) {
      const code = line.charCodeAt(j);
      if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
        const colon = line.indexOf(':');
        return (colon > 0 ? line.slice(0, colon) : line.slice(0, j)).trim().toLowerCase() || undefined;
      }
    }
  }
  return undefined;
}

/** The problem for a parser error: by its code, else a header with a control character, else malformed. */
function problemFor(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): Problem {
  const known = BY_ERROR[err.code ?? ''];
  if (known) return toProblem(new ApiError(known[0], known[1]));
  const header = headerWithControlChar(err.rawPacket);
  if (header === undefined)
    return toProblem(new ApiError('malformed_request', 'the request is not valid HTTP/1.1'));
  const message = 'control character is not allowed';
  return toProblem(
    new ApiError('invalid_request', `header ${header}: ${message}`, {
      extra: { errors: [{ path: header, in: 'header', message }] },
    }),
  );
}

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
  server.on(
    'clientError',
    function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) {
      // A peer that went away, or an answer already under way: nothing to say on this socket.
      const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
      if (err.code === 'ECONNRESET' || !socket.writable || started) {
        socket.destroy();
        return;
      }
      const problem = problemFor(err);
      const body = JSON.stringify(problem);
      socket.end(
        [
          `HTTP/1.1 ${problem.status} ${problem.title}`,
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
    },
  );
  return server;
}
