/**
 * @module
 * Requests Node's HTTP parser refuses before any handler runs, answered as problem+json. A NUL (or
 * another control character) in a header value never reaches the app's schema check: llhttp
 * refuses the request, and Node's default answer is a bare `400 Bad Request`. This listener gives
 * the same 400 `invalid_request` the app gives for a bad value elsewhere, naming the header.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, type Problem, toProblem } from './problem.ts';

/** What Node itself answers to the parser errors that are not about a bad request line or header. */
const NODE_DEFAULTS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
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

function answer(socket: Duplex, status: string, body?: Problem): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = [`HTTP/1.1 ${status}`, 'Connection: close'];
  if (body !== undefined)
    head.push('Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(text)}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}

/**
 * Answers the parser's refusals on `server` (its `clientError` event) as Node would, except that a
 * bad request is a problem+json 400 that names the header holding a control character.
 *
 * @example
 * ```ts
 * const http = createServer(getRequestListener(app.fetch));
 * answerClientErrors(http);
 * ```
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', function clientError(err: Error & { code?: string; rawPacket?: Buffer }, socket) {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const known = NODE_DEFAULTS[err.code ?? ''];
    if (known) return answer(socket, known);
    const header = headerWithControlChar(err.rawPacket);
    const message = 'control character is not allowed';
    const detail =
      header === undefined ? 'the request could not be parsed as HTTP' : `header ${header}: ${message}`;
    const extra = header === undefined ? {} : { errors: [{ path: header, in: 'header', message }] };
    answer(socket, '400 Bad Request', toProblem(new ApiError('invalid_request', detail, { extra })));
  });
}
