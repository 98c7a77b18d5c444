/**
 * @module
 * One raw HTTP/1.1 exchange over a socket, for requests `fetch` refuses to send (a NUL in a
 * header value): the reply's head and body as text.
 */
import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * @example
 * ```ts
 * const reply = await rawRequest(server.url, ['GET / HTTP/1.1', 'Host: localhost', 'X-Bad: a\u0000b']);
 * expect(reply.head).toMatch(/^HTTP\/1\.1 400 /);
 * ```
 */
export async function rawRequest(
  url: string,
  head: string[],
  body = '',
): Promise<{ head: string; body: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  const split = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, split), body: text.slice(split + 4) };
}
